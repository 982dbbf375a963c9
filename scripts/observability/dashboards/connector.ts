import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard'
import type { SloSpec } from '../slo-spec.ts'
import { defaultLatencySlo } from './overview.ts'
import { dashboard, heatmapPanel, labelVariable, statPanel, timeseriesPanel } from './panels.ts'
import { quantiles, RATE, rate } from './queries.ts'

const C = '{connector=~"$connector"}'

export function connectorDashboard(spec: SloSpec) {
  const latency = defaultLatencySlo(spec)
  return dashboard(
    'framewire-connector',
    'Framewire / Connector detail',
    'One connector (or several): latency, batches, outcomes, circuit and pause state, lag.',
  )
    .withVariable(labelVariable('connector', 'Connector', 'framewire_connector_delivered_total'))
    .withRow(new RowBuilder('Latency'))
    .withPanel(
      heatmapPanel(
        'Delivery latency',
        's',
        { expr: `sum by (le) (rate(framewire_delivery_latency_seconds_bucket${C}${RATE}))` },
        'Events per latency bucket, from ingest receiving an event to the destination acknowledging it.',
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Delivery latency quantiles',
        's',
        quantiles('framewire_delivery_latency_seconds', 'connector', C),
        {
          line: { value: latency.latencyTargetSeconds, color: 'red' },
          description: `Dashed: the ${latency.name} SLO target.`,
        },
      ),
    )
    .withPanel(
      timeseriesPanel('Send duration by result (p99)', 's', [
        {
          expr: `histogram_quantile(0.99, sum by (connector, result, le) (rate(framewire_connector_send_duration_seconds_bucket${C}${RATE})))`,
          legend: '{{connector}} {{result}}',
        },
      ]),
    )
    .withPanel(
      timeseriesPanel('Batch size', 'short', [
        ...quantiles('framewire_connector_batch_size_items', 'connector', C, [0.5, 0.99]),
        {
          expr: `sum by (connector) (rate(framewire_connector_batch_size_items_sum${C}${RATE})) / sum by (connector) (rate(framewire_connector_batch_size_items_count${C}${RATE}))`,
          legend: '{{connector}} mean',
        },
      ]),
    )
    .withRow(new RowBuilder('Outcomes'))
    .withPanel(
      timeseriesPanel(
        'Items by outcome',
        'eps',
        [
          {
            expr: rate('framewire_connector_outcomes_total', 'connector, outcome', C),
            legend: '{{connector}} {{outcome}}',
          },
        ],
        { stacked: true, description: 'error: the send threw or timed out; its items are retried.' },
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Failure status codes',
        'eps',
        [
          {
            expr: rate(
              'framewire_connector_outcomes_total',
              'connector, status',
              `{connector=~"$connector",status!="none"}`,
            ),
            legend: '{{connector}} HTTP {{status}}',
          },
        ],
        { description: 'HTTP statuses of items to retry or rejected.' },
      ),
    )
    .withPanel(
      timeseriesPanel('Retries and dead letters', 'eps', [
        { expr: rate('framewire_connector_retries_total', 'connector', C), legend: '{{connector}} retried' },
        {
          expr: rate('framewire_connector_dead_lettered_total', 'connector, reason', C),
          legend: '{{connector}} dead-lettered ({{reason}})',
        },
      ]),
    )
    .withPanel(
      timeseriesPanel('Delivered', 'eps', [
        { expr: rate('framewire_connector_delivered_total', 'connector', C), legend: '{{connector}}' },
      ]),
    )
    .withPanel(
      timeseriesPanel(
        'Dropped by the pipeline',
        'eps',
        [
          {
            expr: rate('framewire_connector_filtered_total', 'connector, stage', C),
            legend: '{{connector}} {{stage}}',
          },
        ],
        {
          width: 24,
          description:
            'Events a pipeline stage dropped before the transform (routing, consent, filter, sampling, segments, cap): not delivered, by design.',
        },
      ),
    )
    .withRow(new RowBuilder('State'))
    .withPanel(
      statPanel(
        'Circuit',
        'short',
        [{ expr: `max by (connector) (framewire_connector_circuit_state${C})`, legend: '{{connector}}' }],
        {
          steps: [
            [null, 'green'],
            [1, 'red'],
            [2, 'orange'],
          ],
          description: '0 closed, 1 open, 2 half-open.',
        },
      ),
    )
    .withPanel(
      statPanel(
        'Paused',
        'short',
        [
          {
            expr: `max by (connector, cause) (framewire_connector_paused${C})`,
            legend: '{{connector}} {{cause}}',
          },
        ],
        {
          steps: [
            [null, 'green'],
            [1, 'orange'],
          ],
        },
      ),
    )
    .withPanel(
      statPanel(
        'Disabled',
        'short',
        [{ expr: `max by (connector) (framewire_connector_disabled${C})`, legend: '{{connector}}' }],
        {
          steps: [
            [null, 'green'],
            [1, 'red'],
          ],
        },
      ),
    )
    .withPanel(
      statPanel('In-flight batches', 'short', [
        { expr: `sum by (connector) (framewire_connector_in_flight_batches${C})`, legend: '{{connector}}' },
      ]),
    )
    .withPanel(
      timeseriesPanel('Consumer lag', 'short', [
        {
          expr: `max by (connector) (framewire_connector_consumer_lag_records${C})`,
          legend: '{{connector}} records',
        },
      ]),
    )
    .withPanel(
      timeseriesPanel('Consumer lag (seconds)', 's', [
        {
          expr: `max by (connector) (framewire_connector_consumer_lag_seconds${C})`,
          legend: '{{connector}}',
        },
      ]),
    )
    .withPanel(
      timeseriesPanel(
        'Buffered records and in-flight batches',
        'short',
        [
          {
            expr: `sum by (connector) (framewire_connector_buffered_records${C})`,
            legend: '{{connector}} buffered',
          },
          {
            expr: `sum by (connector) (framewire_connector_in_flight_batches${C})`,
            legend: '{{connector}} in flight',
          },
        ],
        { width: 24 },
      ),
    )
}
