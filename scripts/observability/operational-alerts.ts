import { type AlertingRule, type RuleGroup, runbookUrl } from './prometheus-rules.ts'

/** Alerts on the pipeline's own state, beside the SLO burn alerts; thresholds are documented in docs/operations.md. */

/** Lag worth waking someone for: sixty times the 1 s latency target, for five minutes. */
export const LAG_SECONDS_THRESHOLD = 60
/** Share of event requests answered 503 that means senders are being turned away. */
export const INGEST_503_RATIO = 0.01

function alert(
  name: string,
  severity: 'page' | 'ticket',
  expr: string,
  forDuration: string | undefined,
  summary: string,
  description: string,
): AlertingRule {
  return {
    alert: name,
    expr,
    ...(forDuration ? { for: forDuration } : {}),
    labels: { severity },
    annotations: { summary, description, runbook_url: runbookUrl(name) },
  }
}

export function operationalAlerts(): RuleGroup {
  return {
    name: 'framewire-operations',
    rules: [
      alert(
        'FramewireConsumerLagHigh',
        'page',
        `max by (connector) (framewire_connector_consumer_lag_seconds) > ${LAG_SECONDS_THRESHOLD}`,
        '5m',
        `Connector {{$labels.connector}} has held a record without an outcome for more than ${LAG_SECONDS_THRESHOLD} s`,
        `The oldest record the connector consumed has waited more than ${LAG_SECONDS_THRESHOLD} s for delivery or a dead letter.`,
      ),
      alert(
        'FramewireConnectorPaused',
        'ticket',
        'max by (connector, cause) (framewire_connector_paused) > 0',
        '15m',
        'Connector {{$labels.connector}} has been paused for 15 minutes ({{$labels.cause}})',
        'A paused connector consumes nothing; its events wait in the bus, and its retention keeps running.',
      ),
      alert(
        'FramewireDeadLetters',
        'ticket',
        'sum by (connector, reason) (increase(framewire_connector_dead_lettered_total[10m])) > 0',
        undefined,
        'Connector {{$labels.connector}} dead-lettered events in the last 10 minutes ({{$labels.reason}})',
        'Dead-lettered events are not delivered until they are replayed (framewire dlq replay).',
      ),
      alert(
        'FramewireIngestUnavailable',
        'page',
        `sum by (instance) (rate(framewire_ingest_requests_total{route="/v1/events",status="503"}[5m]))\n/\nsum by (instance) (rate(framewire_ingest_requests_total{route="/v1/events"}[5m]))\n> ${INGEST_503_RATIO}\n`,
        '5m',
        `Ingest {{$labels.instance}} answers more than ${INGEST_503_RATIO * 100}% of event requests with 503`,
        'Players are told to retry later: the bus does not acknowledge in time, or the process is overloaded.',
      ),
    ],
  }
}
