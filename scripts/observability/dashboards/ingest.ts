import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard'
import { dashboard, labelVariable, timeseriesPanel } from './panels.ts'
import { quantiles, rate } from './queries.ts'

const S = '{source=~"$source"}'
const EVENTS = '{route="/v1/events"}'

export function ingestDashboard() {
  return dashboard(
    'framewire-ingest',
    'Framewire / Ingest detail',
    'The HTTP ingest: requests, payloads, produce, dedupe, 503s.',
  )
    .withVariable(labelVariable('source', 'Source', 'framewire_ingest_events_accepted_total'))
    .withRow(new RowBuilder('Requests'))
    .withPanel(
      timeseriesPanel(
        'Request latency',
        's',
        quantiles('framewire_ingest_request_duration_seconds', 'route', EVENTS),
      ),
    )
    .withPanel(
      timeseriesPanel('Requests by status', 'reqps', [
        { expr: rate('framewire_ingest_requests_total', 'status', EVENTS), legend: '{{status}}' },
      ]),
    )
    .withPanel(
      timeseriesPanel(
        'Request body size (decompressed)',
        'bytes',
        quantiles('framewire_ingest_request_body_bytes', 'instance', '', [0.5, 0.99]),
      ),
    )
    .withPanel(
      timeseriesPanel(
        '503s by cause',
        'reqps',
        [{ expr: rate('framewire_ingest_unavailable_total', 'cause'), legend: '{{cause}}' }],
        {
          description:
            'Requests turned away because the process is overloaded (event-loop delay, heap) show as 503 in Requests by status, not here.',
        },
      ),
    )
    .withRow(new RowBuilder('Events by source'))
    .withPanel(
      timeseriesPanel('Accepted', 'eps', [
        { expr: rate('framewire_ingest_events_accepted_total', 'source', S), legend: '{{source}}' },
      ]),
    )
    .withPanel(
      timeseriesPanel('Rejected', 'eps', [
        {
          expr: rate('framewire_ingest_events_rejected_total', 'source, reason', S),
          legend: '{{source}} {{reason}}',
        },
      ]),
    )
    .withPanel(
      timeseriesPanel(
        'Dedupe hits',
        'eps',
        [{ expr: rate('framewire_ingest_dedupe_hits_total', 'source', S), legend: '{{source}}' }],
        { description: 'Events dropped because their event_id was already accepted.' },
      ),
    )
    .withRow(new RowBuilder('Produce and process'))
    .withPanel(
      timeseriesPanel(
        'Produce latency',
        's',
        quantiles('framewire_ingest_produce_latency_seconds', 'outcome'),
        {
          description: 'From a shared produce request being sent to the bus acknowledging it.',
        },
      ),
    )
    .withPanel(
      timeseriesPanel('Event-loop lag (p99)', 's', [
        { expr: 'max by (instance) (framewire_nodejs_eventloop_lag_p99_seconds)', legend: '{{instance}}' },
      ]),
    )
}
