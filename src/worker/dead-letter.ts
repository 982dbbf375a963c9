import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { Bus, TopicSpec } from '../bus/bus.ts'
import { type BusLayout, topicSpec } from '../bus/create-bus.ts'
import type { FramewireConfig } from '../config/types.ts'
import type { EnrichedEvent } from '../event.ts'

export type DeadLetterReason = 'rejected' | 'retries_exhausted' | 'transform_error'

/** One record of a dead-letter topic, as JSON. */
export interface DeadLetterEntry {
  connector: { name: string; type: string }
  reason: DeadLetterReason
  /** The enriched event as consumed; absent when the record was not valid JSON. */
  event?: EnrichedEvent
  /** The record's value when it could not be parsed. */
  raw?: string
  dedupe_key?: string
  /** The connector's or the runtime's explanation of the last failure. */
  error: string
  /** Last HTTP status, when the destination answered. */
  status?: number
  body_excerpt?: string
  /** Sends tried; 0 for transform errors. */
  attempts: number
  first_attempt_at?: number
  last_attempt_at?: number
  dead_lettered_at: number
  /** Where the record was consumed, for tracing it back. */
  source: { topic: string; partition: number; offset: string }
}

const MAX_APPEND_BACKOFF_MS = 5000

/** The connector instance's dead-letter topic, `<dlq_prefix><name>`, laid out like the other topics. */
export const deadLetterTopic = (
  config: Pick<FramewireConfig, 'topics'> & BusLayout,
  connectorName: string,
): TopicSpec => topicSpec(config, `${config.topics.dlq_prefix}${connectorName}`)

export class DeadLetterWriterClosedError extends Error {
  override name = 'DeadLetterWriterClosedError'
}

interface Pending {
  entries: DeadLetterEntry[]
  resolve(): void
  reject(error: Error): void
}

/**
 * Appends entries to one dead-letter topic. `write` resolves only once the bus acknowledged them, since the
 * caller commits the source offsets right after; a failed append is retried until it succeeds or the
 * writer is closed. Entries written while an append is on its way share the next append.
 */
export class DeadLetterWriter {
  #queue: Pending[] = []
  #running = false
  #closing = new AbortController()
  /** Rejects on close, so a pending append that may never return does not hold up shutdown. */
  #closed = new Promise<never>((_, reject) => {
    this.#closing.signal.addEventListener('abort', () => reject(new DeadLetterWriterClosedError(this.topic)))
  })

  private readonly bus: Bus
  private readonly topic: string
  private readonly log: Logger
  constructor(bus: Bus, topic: string, log: Logger) {
    this.bus = bus
    this.topic = topic
    this.log = log
    this.#closed.catch(() => {})
  }

  write(entries: DeadLetterEntry[]): Promise<void> {
    if (this.#closing.signal.aborted) return Promise.reject(new DeadLetterWriterClosedError(this.topic))
    return new Promise((resolve, reject) => {
      this.#queue.push({ entries, resolve, reject })
      void this.#run()
    })
  }

  /** Gives up on pending appends; their writers see a rejection and leave the offsets uncommitted. */
  close(): void {
    this.#closing.abort()
    for (const pending of this.#queue.splice(0)) pending.reject(new DeadLetterWriterClosedError(this.topic))
  }

  async #run(): Promise<void> {
    if (this.#running) return
    this.#running = true
    while (this.#queue.length > 0) {
      const group = this.#queue.splice(0)
      try {
        await this.#appendUntilAcknowledged(group.flatMap((pending) => pending.entries))
        for (const pending of group) pending.resolve()
      } catch (error) {
        for (const pending of group) pending.reject(error as Error)
      }
    }
    this.#running = false
  }

  async #appendUntilAcknowledged(entries: DeadLetterEntry[]): Promise<void> {
    const records = entries.map((entry) => ({
      topic: this.topic,
      key: entry.dedupe_key ?? `${entry.source.topic}/${entry.source.partition}/${entry.source.offset}`,
      value: Buffer.from(JSON.stringify(entry)),
      headers: { 'fw-dlq-reason': entry.reason, 'fw-connector': entry.connector.name },
    }))
    for (let attempt = 0; ; attempt++) {
      if (this.#closing.signal.aborted) throw new DeadLetterWriterClosedError(this.topic)
      try {
        await Promise.race([this.bus.append(records), this.#closed])
        return
      } catch (error) {
        if (error instanceof DeadLetterWriterClosedError) throw error
        const backoff = Math.min(MAX_APPEND_BACKOFF_MS, 100 * 2 ** attempt)
        this.log.warn(
          { err: error, topic: this.topic, records: records.length, backoff },
          'dead-letter append failed',
        )
        await sleep(backoff, undefined, { signal: this.#closing.signal }).catch(() => {})
      }
    }
  }
}
