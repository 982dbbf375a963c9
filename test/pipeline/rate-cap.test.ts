import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import {
  MemoryTokenSource,
  msUntilNextUtcDay,
  RedisTokenSource,
  type TokenSource,
  utcDay,
} from '../../src/pipeline/rate-cap.ts'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('MemoryTokenSource', () => {
  it('grants the burst, then refills at the rate and says how long to wait', () => {
    let now = Date.UTC(2026, 2, 1, 12)
    const source = new MemoryTokenSource({ ratePerSecond: 100, burst: 50 }, () => now)
    expect(source.takeNow(30)).toEqual({ granted: 30, retryAfterMs: 0 })
    expect(source.takeNow(30)).toEqual({ granted: 20, retryAfterMs: 300, limitedBy: 'rate' })
    now += 100
    expect(source.takeNow(30).granted).toBe(10)
    now += 10_000
    // Never more than the burst, however long it was idle.
    expect(source.takeNow(1000).granted).toBe(50)
  })

  it('counts a daily budget per UTC day', () => {
    let now = Date.UTC(2026, 2, 1, 23, 59, 59, 500)
    const source = new MemoryTokenSource({ dailyBudget: 100 }, () => now)
    expect(source.takeNow(60).granted).toBe(60)
    expect(source.takeNow(60)).toEqual({ granted: 40, retryAfterMs: 500, limitedBy: 'budget' })
    expect(source.takeNow(1).granted).toBe(0)
    now += 500
    expect(utcDay(now)).toBe('2026-03-02')
    expect(source.takeNow(60).granted).toBe(60)
  })
})

describe('RedisTokenSource (real Redis)', () => {
  const clients: Redis[] = []
  const connect = () => {
    const client = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 })
    clients.push(client)
    return client
  }
  let redis: Redis
  beforeAll(() => {
    redis = connect()
  })
  afterAll(() => {
    for (const client of clients) client.disconnect()
  })

  it('grants the burst, then what the rate refilled, atomically per call', async () => {
    const source = new RedisTokenSource(redis, `test.cap:${randomUUID()}`, { ratePerSecond: 100, burst: 40 })
    expect(await source.take(30)).toEqual({ granted: 30, retryAfterMs: 0 })
    const second = await source.take(30)
    expect(second.granted).toBeGreaterThanOrEqual(10)
    expect(second.granted).toBeLessThan(13)
    expect(second.limitedBy).toBe('rate')
    // Wait for 30 tokens at 100/s, minus what is left: about 200-300 ms.
    expect(second.retryAfterMs).toBeGreaterThan(150)
    expect(second.retryAfterMs).toBeLessThanOrEqual(300)
    await sleep(250)
    const third = await source.take(100)
    expect(third.granted).toBeGreaterThanOrEqual(23)
    expect(third.granted).toBeLessThanOrEqual(32)
  })

  it('shares one bucket between processes: two clients together get the burst plus the refill', async () => {
    const key = `test.cap:${randomUUID()}`
    const sources: TokenSource[] = [connect(), connect()].map(
      (client) => new RedisTokenSource(client, key, { ratePerSecond: 200, burst: 100 }),
    )
    const started = Date.now()
    let granted = 0
    let calls = 0
    while (Date.now() - started < 500) {
      const grants = await Promise.all(sources.map((source) => source.take(10)))
      calls += grants.length
      granted += grants.reduce((sum, grant) => sum + grant.granted, 0)
    }
    const elapsed = (Date.now() - started) / 1000
    expect(calls).toBeGreaterThan(20)
    expect(granted).toBeLessThanOrEqual(100 + 200 * elapsed + 5)
    expect(granted).toBeGreaterThanOrEqual(100 + 200 * 0.45)
  })

  it('enforces a daily budget in a counter keyed by the UTC day, with a TTL', async () => {
    const key = `test.cap:${randomUUID()}`
    const source = new RedisTokenSource(redis, key, { dailyBudget: 150 })
    expect((await source.take(100)).granted).toBe(100)
    const partial = await source.take(100)
    expect(partial).toMatchObject({ granted: 50, limitedBy: 'budget' })
    expect(partial.retryAfterMs).toBeLessThanOrEqual(msUntilNextUtcDay(Date.now()) + 1000)
    expect((await source.take(1)).granted).toBe(0)
    const counter = `{${key}}:day:${utcDay(Date.now())}`
    expect(await redis.get(counter)).toBe('150')
    expect(await redis.ttl(counter)).toBeGreaterThan(86_400)
  })

  it('combines rate and budget, and loads the script again after SCRIPT FLUSH', async () => {
    const source = new RedisTokenSource(redis, `test.cap:${randomUUID()}`, {
      ratePerSecond: 1000,
      burst: 100,
      dailyBudget: 120,
    })
    expect((await source.take(100)).granted).toBe(100)
    await redis.script('FLUSH')
    await sleep(50)
    const next = await source.take(100)
    expect(next).toMatchObject({ granted: 20, limitedBy: 'budget' })
  })

  it('rejects when Redis is unreachable, so the cap can fail open', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      retryStrategy: () => null,
    })
    down.on('error', () => {})
    clients.push(down)
    const source = new RedisTokenSource(down, `test.cap:${randomUUID()}`, { ratePerSecond: 10 })
    await expect(source.take(1)).rejects.toThrow()
  })
})
