import { ingestMetrics } from './metrics.ts'

/** What a claim on an event_id found. */
export type ClaimResult = 'claimed' | 'duplicate' | 'in_flight' | 'unchecked'

/** Stored values: pending while the append is unacknowledged, done after it. */
export const PENDING = 'p'
export const DONE = 'd'

/** Where claims live: Redis (shared by every ingest node) or this process's memory. */
export interface DedupeStore {
  /** Sets each key to `pending` unless it exists; returns each key's previous value ('' when it had none). */
  claim(keys: string[], pendingTtlSeconds: number): Promise<string[]>
  /** Sets the keys to `value` for `ttlSeconds`, or deletes them when `value` is ''. */
  mark(keys: string[], value: string, ttlSeconds: number): Promise<void>
}

/**
 * Dedupe by event_id: a request claims its ids as pending before appending, marks them done after the
 * bus acknowledged, and releases them if the append fails. When the store fails (Redis down), events
 * are accepted without dedupe (counted), because losing data is worse than a duplicate that
 * destinations drop by key.
 */
export class EventDedupe {
  private readonly store: DedupeStore | undefined
  private readonly ttlSeconds: number
  private readonly pendingTtlSeconds: number
  constructor(store: DedupeStore | undefined, ttlSeconds: number, pendingTtlSeconds: number) {
    this.store = store
    this.ttlSeconds = ttlSeconds
    this.pendingTtlSeconds = pendingTtlSeconds
  }

  private keys(source: string, eventIds: string[]) {
    return eventIds.map((id) => `fw:dedupe:${source}:${id}`)
  }

  async claim(source: string, eventIds: string[]): Promise<ClaimResult[]> {
    if (!this.store || eventIds.length === 0) return eventIds.map(() => 'unchecked')
    try {
      const previous = await this.store.claim(this.keys(source, eventIds), this.pendingTtlSeconds)
      return previous.map((p) => (p === '' ? 'claimed' : p === DONE ? 'duplicate' : 'in_flight'))
    } catch {
      ingestMetrics.redisErrors.inc({ operation: 'claim' })
      return eventIds.map(() => 'unchecked')
    }
  }

  /** After the ack: the ids are now durable, so repeats are duplicates for the full TTL. */
  async markDone(source: string, eventIds: string[]): Promise<void> {
    await this.mark('mark_done', source, eventIds, DONE)
  }

  /** After a failed append: the client will retry, and the retry must not be taken for a duplicate. */
  async release(source: string, eventIds: string[]): Promise<void> {
    await this.mark('release', source, eventIds, '')
  }

  private async mark(operation: string, source: string, eventIds: string[], value: string) {
    if (!this.store || eventIds.length === 0) return
    try {
      await this.store.mark(this.keys(source, eventIds), value, this.ttlSeconds)
    } catch {
      ingestMetrics.redisErrors.inc({ operation })
    }
  }
}
