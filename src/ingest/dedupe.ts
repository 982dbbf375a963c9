import type { Redis } from 'ioredis'
import { ingestMetrics } from './metrics.ts'

/** What a claim on an event_id found. */
export type ClaimResult = 'claimed' | 'duplicate' | 'in_flight' | 'unchecked'

const PENDING = 'p'
const DONE = 'd'

/**
 * Dedupe by event_id in Redis: a request claims its ids as pending before producing, marks them done
 * after the Kafka ack, and releases them if the produce fails. While Redis is down, events are accepted
 * without dedupe (counted), because losing data is worse than a duplicate that destinations drop by key.
 */
export class EventDedupe {
  constructor(
    private readonly redis: Redis | undefined,
    private readonly ttlSeconds: number,
    private readonly pendingTtlSeconds: number,
  ) {}

  private key(source: string, eventId: string) {
    return `fw:dedupe:${source}:${eventId}`
  }

  async claim(source: string, eventIds: string[]): Promise<ClaimResult[]> {
    if (!this.redis || eventIds.length === 0) return eventIds.map(() => 'unchecked')
    const pipeline = this.redis.pipeline()
    // SET NX GET (Redis >= 7): one round trip both claims a free id and reports who holds a taken one.
    for (const id of eventIds) {
      pipeline.call('SET', this.key(source, id), PENDING, 'EX', this.pendingTtlSeconds, 'NX', 'GET')
    }
    try {
      const results = (await pipeline.exec()) ?? []
      return results.map(([err, previous]) => {
        if (err) throw err
        if (previous === null) return 'claimed'
        return previous === DONE ? 'duplicate' : 'in_flight'
      })
    } catch {
      ingestMetrics.redisErrors.inc({ operation: 'claim' })
      return eventIds.map(() => 'unchecked')
    }
  }

  /** After the ack: the ids are now durable, so repeats are duplicates for the full TTL. */
  async markDone(source: string, eventIds: string[]): Promise<void> {
    await this.write('mark_done', eventIds, (p, id) =>
      p.set(this.key(source, id), DONE, 'EX', this.ttlSeconds),
    )
  }

  /** After a failed produce: the client will retry, and the retry must not be taken for a duplicate. */
  async release(source: string, eventIds: string[]): Promise<void> {
    await this.write('release', eventIds, (p, id) => p.del(this.key(source, id)))
  }

  private async write(
    operation: string,
    eventIds: string[],
    command: (p: ReturnType<Redis['pipeline']>, id: string) => void,
  ) {
    if (!this.redis || eventIds.length === 0) return
    const pipeline = this.redis.pipeline()
    for (const id of eventIds) command(pipeline, id)
    try {
      await pipeline.exec()
    } catch {
      ingestMetrics.redisErrors.inc({ operation })
    }
  }
}
