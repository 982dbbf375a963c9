import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard'
import { SRE_WORKBOOK_WINDOWS } from '../burn-windows.ts'
import { BUDGET_REMAINING, errorRatio } from '../slo-rules.ts'
import type { SloSpec } from '../slo-spec.ts'
import { dashboard, statPanel, timeseriesPanel } from './panels.ts'
import { quantiles, rate } from './queries.ts'

const FAST_BURN = Math.max(...SRE_WORKBOOK_WINDOWS.page.map((w) => w.burn))

/** The latency SLO that covers all connectors: its target is the line on the latency panels. */
export function defaultLatencySlo(spec: SloSpec) {
  const slo = spec.slos.find((s) => s.latencyTargetSeconds !== undefined && !s.connectors)
  if (!slo?.latencyTargetSeconds) throw new Error('slos.yaml: no latency SLO covers all connectors')
  return { ...slo, latencyTargetSeconds: slo.latencyTargetSeconds }
}

export function overviewDashboard(spec: SloSpec) {
  const latency = defaultLatencySlo(spec)
  const latencySlos = spec.slos.filter((s) => s.latencyTargetSeconds !== undefined).map((s) => s.name)
  return dashboard(
    'framewire-overview',
    'Framewire / Overview',
    'Ingest, delivery against the SLOs, lag and failures of every connector.',
  )
    .withRow(new RowBuilder('Ingest'))
    .withPanel(
      timeseriesPanel('Events accepted by source', 'eps', [
        { expr: rate('framewire_ingest_events_accepted_total', 'source'), legend: '{{source}}' },
      ]),
    )
    .withPanel(
      timeseriesPanel('Events rejected by reason', 'eps', [
        { expr: rate('framewire_ingest_events_rejected_total', 'reason'), legend: '{{reason}}' },
      ]),
    )
    .withRow(new RowBuilder('Delivery'))
    .withPanel(
      timeseriesPanel(
        'End-to-end delivery latency',
        's',
        quantiles('framewire_delivery_latency_seconds', 'connector'),
        {
          description: `From ingest receiving an event to the destination acknowledging it. Dashed: the ${latency.name} SLO target.`,
          line: { value: latency.latencyTargetSeconds, color: 'red' },
        },
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Events delivered within the latency target',
        'percentunit',
        [
          {
            expr: `1 - ${errorRatio('5m')}{slo=~"${latencySlos.join('|')}"}`,
            legend: '{{connector}}',
          },
        ],
        {
          description: `Share of delivered events within their connector's latency SLO target, over 5 minutes. Dashed: the ${latency.name} objective.`,
          max: 1,
          line: { value: latency.objective, color: 'red' },
        },
      ),
    )
    .withPanel(
      timeseriesPanel('Consumer lag (records)', 'short', [
        { expr: 'max by (connector) (framewire_connector_consumer_lag_records)', legend: '{{connector}}' },
      ]),
    )
    .withPanel(
      timeseriesPanel(
        'Consumer lag (seconds)',
        's',
        [{ expr: 'max by (connector) (framewire_connector_consumer_lag_seconds)', legend: '{{connector}}' }],
        { description: 'Age of the oldest consumed record still without a final outcome.' },
      ),
    )
    .withRow(new RowBuilder('Failures'))
    .withPanel(
      timeseriesPanel('Retries and dead letters', 'eps', [
        { expr: rate('framewire_connector_retries_total', 'connector'), legend: '{{connector}} retried' },
        {
          expr: rate('framewire_connector_dead_lettered_total', 'connector, reason'),
          legend: '{{connector}} dead-lettered ({{reason}})',
        },
      ]),
    )
    .withPanel(
      statPanel('Open circuits', 'short', [{ expr: 'sum(framewire_connector_circuit_state == bool 1)' }], {
        steps: [
          [null, 'green'],
          [1, 'red'],
        ],
        description: 'Connectors whose circuit breaker is open.',
      }),
    )
    .withPanel(
      statPanel(
        'Paused connectors',
        'short',
        [{ expr: 'sum(max by (connector) (framewire_connector_paused) > bool 0)' }],
        {
          steps: [
            [null, 'green'],
            [1, 'orange'],
          ],
        },
      ),
    )
    .withPanel(
      statPanel('Disabled connectors', 'short', [{ expr: 'sum(framewire_connector_disabled)' }], {
        steps: [
          [null, 'green'],
          [1, 'red'],
        ],
        description: 'Stopped because the destination asked to receive nothing more (HTTP 410).',
      }),
    )
    .withRow(new RowBuilder('Error budgets'))
    .withPanel(
      statPanel(
        'Error budget remaining (28 days)',
        'percentunit',
        [{ expr: BUDGET_REMAINING, legend: '{{connector}} {{slo}}' }],
        {
          steps: [
            [null, 'red'],
            [0, 'orange'],
            [0.25, 'green'],
          ],
          width: 12,
        },
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Error budget burn rate (1 h)',
        'short',
        spec.slos.map((slo) => ({
          expr: `${errorRatio('1h')}{slo="${slo.name}"} / (1 - ${slo.objective})`,
          legend: `{{connector}} ${slo.name}`,
        })),
        {
          description:
            '1 = spending the budget exactly over the period. Dashed: the fast-burn page threshold.',
          line: { value: FAST_BURN, color: 'red' },
        },
      ),
    )
}
