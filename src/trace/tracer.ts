import type { Logger } from 'pino'
import type { TraceConfig } from '../config/types.ts'
import { traceMetrics } from './trace-metrics.ts'
import { traceSampler } from './trace-sampling.ts'
import { isFailure, type TraceStage } from './trace-stages.ts'
import type { TraceStore, TraceWrite } from './trace-store.ts'

/** How long stages gather before one write carries them all. */
const FLUSH_MS = 100
/** Stages waiting for the store past this are dropped (counted): a slow store must not grow memory. */
const MAX_PENDING_STAGES = 100_000
const ERROR_LOG_INTERVAL_MS = 60_000

/**
 * Collects the stages of sampled events and writes them in one store call per flush. Tracing never fails
 * ingest or delivery: `record` is synchronous and cannot throw on the store's account, and a failed write
 * is counted and logged at most once a minute.
 */
export class Tracer {
  /** Whether the event is traced; callers ask once per event and skip `record` when not. */
  readonly sampled: (eventId: string) => boolean
  readonly config: TraceConfig
  readonly #store: TraceStore
  readonly #log: Logger
  #pending = new Map<string, TraceStage[]>()
  #pendingStages = 0
  #timer: NodeJS.Timeout | undefined
  #writing = new Set<Promise<void>>()
  #lastErrorLogAt = Number.NEGATIVE_INFINITY

  constructor(config: TraceConfig, store: TraceStore, log: Logger) {
    this.config = config
    this.sampled = traceSampler(config)
    this.#store = store
    this.#log = log
  }

  get enabled(): boolean {
    return this.config.sampling !== 'off'
  }

  record(eventId: string, stage: TraceStage): void {
    if (this.#pendingStages >= MAX_PENDING_STAGES) {
      traceMetrics.dropped.inc()
      return
    }
    const stages = this.#pending.get(eventId)
    if (stages) stages.push(stage)
    else this.#pending.set(eventId, [stage])
    this.#pendingStages++
    this.#timer ??= setTimeout(() => this.flush(), FLUSH_MS).unref()
  }

  /** Reads what is stored, including stages this process has not flushed yet. */
  async read(eventId: string): Promise<TraceStage[] | undefined> {
    const stored = await this.#store.read(eventId)
    const pending = this.#pending.get(eventId)
    return pending ? [...(stored ?? []), ...pending] : stored
  }

  flush(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#pending.size === 0) return Promise.resolve()
    const ttlSeconds =
      this.config.sampling === 'failed' ? this.config.failed_window_seconds : this.config.ttl_seconds
    const writes: TraceWrite[] = []
    for (const [eventId, stages] of this.#pending) {
      const keepSeconds = stages.some(isFailure) ? this.config.ttl_seconds : 0
      writes.push({ eventId, stages, ttlSeconds, keepSeconds })
    }
    this.#pending = new Map()
    this.#pendingStages = 0
    const written = this.#store.write(writes).catch((err: unknown) => this.#failed(err, writes.length))
    this.#writing.add(written)
    void written.finally(() => this.#writing.delete(written))
    return written
  }

  /** Writes what is pending and waits for the writes in flight (at shutdown). */
  async close(): Promise<void> {
    await this.flush()
    await Promise.all([...this.#writing])
  }

  #failed(err: unknown, events: number): void {
    traceMetrics.writeErrors.inc()
    const now = Date.now()
    if (now - this.#lastErrorLogAt < ERROR_LOG_INTERVAL_MS) return
    this.#lastErrorLogAt = now
    this.#log.warn({ err, events }, 'trace write failed; stages lost (logged at most once a minute)')
  }
}
