import { Gauge } from 'prom-client'
import { counter, gauge, histogram, registry } from '../observability/metrics.ts'
import type { CircuitState } from './circuit-breaker.ts'
import type { Outcome, PauseCause } from './connector.ts'
import type { DeadLetterReason } from './dead-letter.ts'

/** The connector runtime's instruments, all labelled by connector instance name. */

/**
 * Destination latencies: 5 ms to 30 s, dense below one second where the SLO lives. A latency SLO target must
 * be one of these bounds to be counted exactly (deploy/prometheus/slos.yaml is checked against them).
 */
export const DELIVERY_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5,
  10, 30,
]
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000]
const CIRCUIT_VALUE: Record<CircuitState, number> = { closed: 0, open: 1, 'half-open': 2 }
const DEAD_LETTER_REASONS: DeadLetterReason[] = ['rejected', 'retries_exhausted', 'transform_error']
const SEND_RESULTS = ['ok', 'partial', 'failed', 'error'] as const
/** Per item: the connector's outcome, or `error` when send threw or timed out (the item is retried). */
export type ItemOutcome = Outcome['kind'] | 'error'
/** ok: nothing to retry; partial: some items to retry; failed: every item to retry; error: threw or timed out. */
export type SendResult = (typeof SEND_RESULTS)[number]

const deliveryLatency = histogram(
  'framewire_delivery_latency_seconds',
  'From ingest receiving the event (received_at) to the destination acknowledging it.',
  DELIVERY_BUCKETS,
  ['connector'],
)
const eventAge = histogram(
  'framewire_event_age_seconds',
  "From the client's event timestamp (ts) to the destination acknowledging it.",
  DELIVERY_BUCKETS,
  ['connector'],
)
const delivered = counter('framewire_connector_delivered_total', 'Events acknowledged by the destination.', [
  'connector',
])
const skipped = counter(
  'framewire_connector_skipped_total',
  'Events the connector chose not to send (transform returned SKIP).',
  ['connector'],
)
const retries = counter('framewire_connector_retries_total', 'Events scheduled for another attempt.', [
  'connector',
])
const deadLettered = counter(
  'framewire_connector_dead_lettered_total',
  "Events written to the connector's dead-letter topic, by reason.",
  ['connector', 'reason'],
)
const sendDuration = histogram(
  'framewire_connector_send_duration_seconds',
  'Duration of one send() call, by result: ok (nothing to retry), partial, failed (all to retry), error.',
  DELIVERY_BUCKETS,
  ['connector', 'result'],
)
const outcomes = counter(
  'framewire_connector_outcomes_total',
  'Items sent, by outcome (delivered, retry, rejected, error) and the HTTP status the destination gave (none without one).',
  ['connector', 'outcome', 'status'],
)
const batchSize = histogram(
  'framewire_connector_batch_size_items',
  'Items per batch handed to send().',
  BATCH_SIZE_BUCKETS,
  ['connector'],
)
const inFlight = gauge('framewire_connector_in_flight_batches', 'Batches currently being sent.', [
  'connector',
])
const buffered = gauge(
  'framewire_connector_buffered_records',
  'Records held in the worker (batching, sending, waiting for retry or dead-lettering).',
  ['connector'],
)
const circuitState = gauge(
  'framewire_connector_circuit_state',
  'Circuit breaker state: 0 closed, 1 open, 2 half-open.',
  ['connector'],
)
const disabled = gauge(
  'framewire_connector_disabled',
  'Whether the connector was stopped because the destination is gone (1) or runs (0).',
  ['connector'],
)

const PAUSE_CAUSES: PauseCause[] = ['credentials', 'quota']
const paused = gauge(
  'framewire_connector_paused',
  'Whether the destination refuses everything and the connector waits and probes (1), by cause.',
  ['connector', 'cause'],
)
const failed = gauge(
  'framewire_connector_failed',
  'Whether the connector stopped on a programming error (1), e.g. a wrong number of outcomes.',
  ['connector'],
)

/** What a worker knows of its own lag, from its view of the partitions it consumes. */
export interface LagSource {
  /** Records consumed but not committed. */
  records(): number
  /** Bus append time (epoch ms) of the oldest record without a final outcome, if any. */
  oldestPendingAt(): number | undefined
}

/** Lag is read when scraped. */
const lagSources = new Map<string, LagSource>()
new Gauge({
  name: 'framewire_connector_consumer_lag_records',
  help: 'Records consumed but not yet committed, per connector (highest offset seen minus committed offset).',
  labelNames: ['connector'],
  registers: [registry],
  collect() {
    this.reset()
    for (const [connector, lag] of lagSources) this.set({ connector }, lag.records())
  },
})
new Gauge({
  name: 'framewire_connector_consumer_lag_seconds',
  help: 'Age of the oldest consumed record without a final outcome (since the bus appended it), 0 when none is pending.',
  labelNames: ['connector'],
  registers: [registry],
  collect() {
    this.reset()
    const now = Date.now()
    for (const [connector, lag] of lagSources) {
      const oldest = lag.oldestPendingAt()
      this.set({ connector }, oldest === undefined ? 0 : Math.max(0, now - oldest) / 1000)
    }
  },
})

export interface ConnectorMetrics {
  delivered(receivedAt: number, clientTs: number, now: number): void
  skipped(): void
  retried(count: number): void
  deadLettered(reason: DeadLetterReason): void
  sent(result: SendResult, seconds: number): void
  outcome(outcome: ItemOutcome, status: number | undefined): void
  batch(size: number): void
  inFlight(delta: number): void
  buffered(count: number): void
  circuit(state: CircuitState): void
  disabled(isDisabled: boolean): void
  /** The cause the connector is paused for, or undefined once it resumed. */
  paused(cause: PauseCause | undefined): void
  failed(): void
  /**
   * The worker starts consuming: circuit closed, not disabled, lag read from `lag`. Not at construction, so
   * a worker a hot reload prepares leaves the running one's series alone.
   */
  live(lag: LagSource): void
  /** Drops this connector's series, e.g. when hot reload removes it. */
  remove(): void
}

const initialized = new Set<string>()

export function connectorMetrics(connector: string): ConnectorMetrics {
  const labels = { connector }
  const latency = deliveryLatency.labels(labels)
  const age = eventAge.labels(labels)
  const deliveredCount = delivered.labels(labels)
  const batchItems = batchSize.labels(labels)
  const inFlightBatches = inFlight.labels(labels)
  // Series exist from the start, so SLO ratios and rates see a zero rather than no data. Once only: zero()
  // would reset the histogram of a connector whose worker is replaced (config reload).
  if (!initialized.has(connector)) {
    initialized.add(connector)
    deliveryLatency.zero(labels)
    deliveredCount.inc(0)
    for (const reason of DEAD_LETTER_REASONS) deadLettered.inc({ connector, reason }, 0)
  }
  /** Outcome label pairs this connector has used, so `remove` can drop them (statuses are open-ended). */
  const outcomeLabels = new Map<string, { connector: string; outcome: ItemOutcome; status: string }>()
  return {
    delivered(receivedAt, clientTs, now) {
      // Clients' clocks may run ahead and their events may lack fields: a latency is never negative or NaN.
      if (Number.isFinite(receivedAt)) latency.observe(Math.max(0, now - receivedAt) / 1000)
      if (Number.isFinite(clientTs)) age.observe(Math.max(0, now - clientTs) / 1000)
      deliveredCount.inc()
    },
    skipped: () => skipped.inc(labels),
    retried: (count) => retries.inc(labels, count),
    deadLettered: (reason) => deadLettered.inc({ connector, reason }),
    sent: (result, seconds) => sendDuration.observe({ connector, result }, seconds),
    outcome(outcome, status) {
      const key = `${outcome} ${status ?? 'none'}`
      let series = outcomeLabels.get(key)
      if (!series) {
        series = { connector, outcome, status: status === undefined ? 'none' : String(status) }
        outcomeLabels.set(key, series)
      }
      outcomes.inc(series)
    },
    batch: (size) => batchItems.observe(size),
    inFlight: (delta) => inFlightBatches.inc(delta),
    buffered: (count) => buffered.set(labels, count),
    circuit: (state) => circuitState.set(labels, CIRCUIT_VALUE[state]),
    disabled: (isDisabled) => disabled.set(labels, isDisabled ? 1 : 0),
    paused(current) {
      for (const cause of PAUSE_CAUSES) paused.set({ connector, cause }, cause === current ? 1 : 0)
    },
    failed: () => failed.set(labels, 1),
    live(lag) {
      circuitState.set(labels, CIRCUIT_VALUE.closed)
      disabled.set(labels, 0)
      failed.set(labels, 0)
      for (const cause of PAUSE_CAUSES) paused.set({ connector, cause }, 0)
      lagSources.set(connector, lag)
    },
    remove() {
      initialized.delete(connector)
      lagSources.delete(connector)
      const byConnector = [
        deliveryLatency,
        eventAge,
        delivered,
        skipped,
        retries,
        batchSize,
        inFlight,
        buffered,
      ]
      for (const metric of [...byConnector, circuitState, disabled, failed]) metric.remove(labels)
      for (const cause of PAUSE_CAUSES) paused.remove({ connector, cause })
      for (const reason of DEAD_LETTER_REASONS) deadLettered.remove({ connector, reason })
      for (const result of SEND_RESULTS) sendDuration.remove({ connector, result })
      for (const series of outcomeLabels.values()) outcomes.remove(series)
    },
  }
}
