import { Redis } from 'ioredis'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { memoryTraceStore } from '../../src/trace/memory-trace-store.ts'
import { redisTraceStore } from '../../src/trace/redis-trace-store.ts'
import type { TraceStage } from '../../src/trace/trace-stages.ts'
import type { TraceStore } from '../../src/trace/trace-store.ts'

const filtered = (at: number, by = 'filter'): TraceStage => ({ stage: 'filtered', at, connector: 'c', by })

describe('memory trace store', () => {
  it('keeps at most max_events traces, dropping the least recently written first', async () => {
    const store = memoryTraceStore(2, 10)
    await store.write([{ eventId: 'a', stages: [filtered(1)], ttlSeconds: 60, keepSeconds: 0 }])
    await store.write([{ eventId: 'b', stages: [filtered(2)], ttlSeconds: 60, keepSeconds: 0 }])
    // Writing to a again makes b the oldest.
    await store.write([{ eventId: 'a', stages: [filtered(3)], ttlSeconds: 60, keepSeconds: 0 }])
    await store.write([{ eventId: 'c', stages: [filtered(4)], ttlSeconds: 60, keepSeconds: 0 }])
    expect(await store.read('b')).toBeUndefined()
    expect((await store.read('a'))?.map((s) => s.at)).toEqual([1, 3])
    expect((await store.read('c'))?.map((s) => s.at)).toEqual([4])
  })

  it('keeps at most max_stages per event', async () => {
    const store = memoryTraceStore(10, 3)
    const stages = [1, 2, 3, 4, 5].map((at) => filtered(at))
    await store.write([{ eventId: 'a', stages, ttlSeconds: 60, keepSeconds: 0 }])
    await store.write([{ eventId: 'a', stages: [filtered(6)], ttlSeconds: 60, keepSeconds: 0 }])
    expect((await store.read('a'))?.map((s) => s.at)).toEqual([1, 2, 3])
  })

  it('expires a trace after its ttl, and a failure keeps it for the longer keep time', async () => {
    let now = 0
    const store = memoryTraceStore(10, 10, () => now)
    await store.write([{ eventId: 'short', stages: [filtered(1)], ttlSeconds: 10, keepSeconds: 0 }])
    await store.write([{ eventId: 'kept', stages: [filtered(1)], ttlSeconds: 10, keepSeconds: 0 }])
    now = 5_000
    await store.write([{ eventId: 'kept', stages: [filtered(2)], ttlSeconds: 10, keepSeconds: 100 }])
    // A later write without a failure does not shorten it again.
    await store.write([{ eventId: 'kept', stages: [filtered(3)], ttlSeconds: 10, keepSeconds: 0 }])
    now = 11_000
    expect(await store.read('short')).toBeUndefined()
    expect((await store.read('kept'))?.length).toBe(3)
    now = 105_001
    expect(await store.read('kept')).toBeUndefined()
  })
})

describe('redis trace store', () => {
  const redis = new Redis(inject('redisUrl'))
  const store: TraceStore = redisTraceStore(redis, 3)
  const id = `test-${Math.random().toString(36).slice(2)}`
  afterAll(async () => {
    await redis.del(`fw:trace:${id}-a`, `fw:trace:${id}-b`)
    redis.disconnect()
  })

  it('appends the stages of many events in one call, bounded per event, with the TTLs', async () => {
    await store.write([
      { eventId: `${id}-a`, stages: [filtered(1), filtered(2)], ttlSeconds: 60, keepSeconds: 0 },
      { eventId: `${id}-b`, stages: [filtered(3)], ttlSeconds: 60, keepSeconds: 0 },
    ])
    await store.write([
      { eventId: `${id}-a`, stages: [filtered(4), filtered(5)], ttlSeconds: 60, keepSeconds: 3600 },
      { eventId: `${id}-b`, stages: [filtered(6)], ttlSeconds: 5, keepSeconds: 0 },
    ])
    expect((await store.read(`${id}-a`))?.map((s) => s.at)).toEqual([1, 2, 4])
    expect((await store.read(`${id}-b`))?.map((s) => s.at)).toEqual([3, 6])
    // A failure raised a's TTL; b kept the TTL its first write gave it.
    expect(await redis.ttl(`fw:trace:${id}-a`)).toBeGreaterThan(60)
    const ttlB = await redis.ttl(`fw:trace:${id}-b`)
    expect(ttlB).toBeGreaterThan(5)
    expect(ttlB).toBeLessThanOrEqual(60)
    expect(await store.read(`${id}-none`)).toBeUndefined()
  })
})
