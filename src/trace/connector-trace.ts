import type { ConsumedRecord } from '../bus/bus.ts'
import type { Outcome, PauseCause } from '../worker/connector.ts'
import type { Tracer } from './tracer.ts'

/** Attempts traced per event and connector; a record retried for an hour would otherwise fill its trace. */
export const MAX_TRACED_ATTEMPTS = 20

/**
 * The stages one connector worker adds to the traces of sampled events. The worker asks `sampled` once per
 * record and calls the others only for those.
 */
export class ConnectorTrace {
  readonly #tracer: Tracer
  readonly #connector: string
  /** Only one worker of a process records `written`, or every connector would repeat it. */
  readonly #recordsWritten: boolean

  constructor(tracer: Tracer, connector: string, recordsWritten: boolean) {
    this.#tracer = tracer
    this.#connector = connector
    this.#recordsWritten = recordsWritten
  }

  sampled(eventId: string): boolean {
    return this.#tracer.enabled && this.#tracer.sampled(eventId)
  }

  written(eventId: string, record: ConsumedRecord): void {
    if (!this.#recordsWritten) return
    this.#tracer.record(eventId, {
      stage: 'written',
      at: record.timestamp,
      topic: record.topic,
      partition: record.partition,
      offset: record.offset.toString(),
    })
  }

  filtered(eventId: string, by: string): void {
    this.#tracer.record(eventId, { stage: 'filtered', at: Date.now(), connector: this.#connector, by })
  }

  /** One send's outcome for the event; past MAX_TRACED_ATTEMPTS only the final stage is recorded. */
  attempt(eventId: string, attempt: number, outcome: Outcome, at: number): void {
    if (attempt > MAX_TRACED_ATTEMPTS) return
    const status = outcome.kind === 'delivered' ? undefined : outcome.status
    this.#tracer.record(eventId, {
      stage: 'attempt',
      at,
      connector: this.#connector,
      attempt,
      outcome: outcome.kind,
      ...(status !== undefined ? { status } : {}),
      ...(outcome.kind !== 'delivered' ? { reason: outcome.reason } : {}),
    })
  }

  delivered(eventId: string, receivedAt: number, at: number): void {
    this.#tracer.record(eventId, {
      stage: 'delivered',
      at,
      connector: this.#connector,
      latency_ms: at - receivedAt,
    })
  }

  deadLettered(eventId: string, reason: string, error: string): void {
    this.#tracer.record(eventId, {
      stage: 'dead_lettered',
      at: Date.now(),
      connector: this.#connector,
      reason,
      error,
    })
  }

  paused(eventId: string, cause: PauseCause, reason: string, at: number): void {
    this.#tracer.record(eventId, { stage: 'paused', at, connector: this.#connector, cause, reason })
  }
}
