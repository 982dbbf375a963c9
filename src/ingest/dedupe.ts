import type { Redis } from 'ioredis'
import { ingestMetrics } from './metrics.ts'

/** What a claim on an event_id found. */
export type ClaimResult = 'claimed' | 'duplicate' | 'in_flight' | 'unchecked'

const PENDING = 'p'
const DONE = 'd'

// One script call per request instead of one command per event: the client's per-command cost, not
// Redis, was the ingest's bottleneck (bench/results/ingest.json, "redis_dedupe").
const CLAIM = `
local out = {}
for i, key in ipairs(KEYS) do
  local previous = redis.call('SET', key, ARGV[1], 'EX', ARGV[2], 'NX', 'GET')
  if previous then out[i] = previous else out[i] = '' end
end
return out`
const MARK = `
for _, key in ipairs(KEYS) do
  if ARGV[1] == '' then redis.call('DEL', key) else redis.call('SET', key, ARGV[1], 'EX', ARGV[2]) end
end
return #KEYS`

type DedupeRedis = Redis & {
  fwClaim(...args: (string | number)[]): Promise<string[]>
  fwMark(...args: (string | number)[]): Promise<number>
}

/**
 * Dedupe by event_id in Redis: a request claims its ids as pending before producing, marks them done
 * after the Kafka ack, and releases them if the produce fails. While Redis is down, events are accepted
 * without dedupe (counted), because losing data is worse than a duplicate that destinations drop by key.
 */
export class EventDedupe {
  private readonly redis: DedupeRedis | undefined

  constructor(
    redis: Redis | undefined,
    private readonly ttlSeconds: number,
    private readonly pendingTtlSeconds: number,
  ) {
    redis?.defineCommand('fwClaim', { lua: CLAIM })
    redis?.defineCommand('fwMark', { lua: MARK })
    this.redis = redis as DedupeRedis | undefined
  }

  private keys(source: string, eventIds: string[]) {
    return eventIds.map((id) => `fw:dedupe:${source}:${id}`)
  }

  async claim(source: string, eventIds: string[]): Promise<ClaimResult[]> {
    if (!this.redis || eventIds.length === 0) return eventIds.map(() => 'unchecked')
    try {
      const previous = await this.redis.fwClaim(
        eventIds.length,
        ...this.keys(source, eventIds),
        PENDING,
        this.pendingTtlSeconds,
      )
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

  /** After a failed produce: the client will retry, and the retry must not be taken for a duplicate. */
  async release(source: string, eventIds: string[]): Promise<void> {
    await this.mark('release', source, eventIds, '')
  }

  private async mark(operation: string, source: string, eventIds: string[], value: string) {
    if (!this.redis || eventIds.length === 0) return
    try {
      await this.redis.fwMark(eventIds.length, ...this.keys(source, eventIds), value, this.ttlSeconds)
    } catch {
      ingestMetrics.redisErrors.inc({ operation })
    }
  }
}
