import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, inject, it } from 'vitest'
import type { CapAction } from '../../src/config/types.ts'
import { CapGate, type CapMetrics } from '../../src/pipeline/cap-gate.ts'
import { MemoryTokenSource, RedisTokenSource, type TokenSource } from '../../src/pipeline/rate-cap.ts'
import { viewHash } from '../../src/pipeline/sampling.ts'

function counting(source: TokenSource) {
  const counted = {
    calls: 0,
    source: {
      take(n: number) {
        counted.calls++
        return source.take(n)
      },
    } as TokenSource,
  }
  return counted
}

function metrics() {
  const counts: Record<string, number> = {}
  const m: CapMetrics = {
    capped: (action) => {
      counts[action] = (counts[action] ?? 0) + 1
    },
    failOpen: () => {
      counts.fail_open = (counts.fail_open ?? 0) + 1
    },
  }
  return { m, counts }
}

const gate = (
  source: TokenSource,
  action: CapAction,
  extra: Partial<ConstructorParameters<typeof CapGate>[0]> = {},
) => new CapGate({ source, action, maxChunk: 100, tokenTtlMs: 1000, ...extra })

const clients: Redis[] = []
function connect(url = inject('redisUrl')) {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 250,
    retryStrategy: () => null,
  })
  client.on('error', () => {})
  clients.push(client)
  return client
}
const ready = (client: Redis) => new Promise((resolve) => client.once('ready', resolve))
afterAll(() => {
  for (const client of clients) client.disconnect()
})

describe('CapGate against real Redis', () => {
  it('drop: two processes share the cap, fetching tokens in chunks, one round trip per chunk', async () => {
    const key = `test.cap:${randomUUID()}`
    const [a, b] = [connect(), connect()]
    await Promise.all([ready(a), ready(b)])
    const sources = [a, b].map((client) =>
      counting(new RedisTokenSource(client, key, { ratePerSecond: 1000, burst: 500 })),
    )
    const { m, counts } = metrics()
    const gates = sources.map(({ source }) => gate(source, 'drop', { metrics: m }))
    const started = Date.now()
    let admitted = 0
    // 4000 events in about 0.3 s from two "processes": far above 1000/s.
    for (let i = 0; i < 200; i++) {
      const decisions = await Promise.all(
        gates.flatMap((g) => Array.from({ length: 10 }, () => g.admit({ view_id: randomUUID() }))),
      )
      admitted += decisions.filter((d) => d === 'admit').length
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 15))
    }
    const elapsed = (Date.now() - started) / 1000
    expect(admitted).toBeLessThanOrEqual(500 + 1000 * elapsed + 10)
    expect(admitted).toBeGreaterThanOrEqual(500)
    expect(counts.drop).toBe(4000 - admitted)
    const calls = sources.reduce((sum, s) => sum + s.calls, 0)
    // Chunks of up to 100 tokens, and no store calls while told to wait: far fewer calls than events.
    expect(calls).toBeLessThan(admitted / 5 + 2 * 1000 * elapsed)
    expect(calls).toBeLessThan(600)
  })

  it('delay: waits for tokens instead of dropping (backpressure), and the wait ends at stop', async () => {
    const client = connect()
    await ready(client)
    const source = new RedisTokenSource(client, `test.cap:${randomUUID()}`, { ratePerSecond: 500, burst: 50 })
    const { m, counts } = metrics()
    const g = gate(source, 'delay', { metrics: m, maxChunk: 50 })
    const started = Date.now()
    for (let i = 0; i < 300; i++) expect(await g.admit({ view_id: 'v' })).toBe('admit')
    const elapsed = Date.now() - started
    // 250 events past the burst at 500/s take at least half a second.
    expect(elapsed).toBeGreaterThanOrEqual(450)
    expect(counts.delay).toBeGreaterThan(0)
    expect(counts.drop).toBeUndefined()

    const stopping = new AbortController()
    const blocked = (async () => {
      for (;;) {
        const decision = await g.admit({ view_id: 'v' }, stopping.signal)
        if (decision !== 'admit') return decision
      }
    })()
    await new Promise((r) => setTimeout(r, 100))
    stopping.abort()
    expect(await blocked).toBe('stopped')
  })

  it('fails open when Redis is down, counting every uncapped event', async () => {
    const down = connect('redis://127.0.0.1:1')
    const source = new RedisTokenSource(down, `test.cap:${randomUUID()}`, { ratePerSecond: 1 })
    const { m, counts } = metrics()
    const g = gate(source, 'delay', { metrics: m })
    const decisions = []
    for (let i = 0; i < 100; i++) decisions.push(await g.admit({ view_id: 'v' }))
    expect(decisions.every((d) => d === 'admit')).toBe(true)
    expect(counts.fail_open).toBe(100)
    expect(counts.delay).toBeUndefined()
  })
})

describe('CapGate sample action', () => {
  it('holds the cap by keeping mostly whole views, those with the lowest hashes', async () => {
    let now = Date.UTC(2026, 2, 1, 12)
    const source = new MemoryTokenSource({ ratePerSecond: 200, burst: 200 }, () => now)
    const { m, counts } = metrics()
    const g = gate(source, 'sample', { metrics: m, now: () => now, maxChunk: 20 })
    // 1000 views × 2 events a second = 2000 events/s against a cap of 200/s, for 25 seconds.
    const views: string[] = Array.from({ length: 1000 }, () => randomUUID())
    const seconds: Map<string, { in: number; out: number }>[] = []
    let admittedTotal = 0
    for (let second = 0; second < 25; second++) {
      const byView = new Map(views.map((view) => [view, { in: 0, out: 0 }]))
      seconds.push(byView)
      for (let i = 0; i < 2000; i++) {
        const view = views[(i * 7) % views.length] as string
        const tally = byView.get(view) as { in: number; out: number }
        if ((await g.admit({ view_id: view })) === 'admit') {
          tally.in++
          admittedTotal++
        } else tally.out++
        now += 0.5
      }
    }
    expect(counts.sample).toBe(25 * 2000 - admittedTotal)
    const steady = seconds.slice(5)
    const admitted = steady.reduce((sum, s) => sum + [...s.values()].reduce((n, t) => n + t.in, 0), 0)
    // A hard cap (the rate, plus at most one burst), most of it used.
    expect(admitted).toBeLessThanOrEqual(200 * steady.length + 200)
    expect(admitted).toBeGreaterThan(180 * steady.length)
    const lowest = new Set([...views].sort((a, b) => viewHash(a) - viewHash(b)).slice(0, 200))
    let whole = 0
    let kept = 0
    for (const byView of steady) {
      for (const [view, tally] of byView) {
        if (tally.in === 0) continue
        kept++
        if (tally.out === 0) whole++
        // About 10 % of the views fit: only views among the lowest 20 % of hashes ever get in.
        expect(lowest.has(view)).toBe(true)
      }
    }
    expect(whole / kept).toBeGreaterThan(0.75)
  })
})
