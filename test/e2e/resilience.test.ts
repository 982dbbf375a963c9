import { PassThrough } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { connectorTypes } from '../../connectors/index.ts'
import type { EnrichedEvent } from '../../src/event.ts'
import { inspectDeadLetters, replayDeadLetters } from '../../src/worker/dlq-tools.ts'
import { BUSES, type BusType, silentLogger, startPipeline, testConfig } from '../helpers/pipeline.ts'
import { connectorsYaml, percentile, postViews, type StandIns, startStandIns, until } from './harness.ts'

let standIns: StandIns | undefined
let pipeline: Awaited<ReturnType<typeof startPipeline>> | undefined
afterEach(async () => {
  await pipeline?.stop()
  await standIns?.close()
  pipeline = standIns = undefined
})

async function start(bus: BusType) {
  standIns = await startStandIns()
  const config = testConfig(connectorsYaml(standIns), {}, bus)
  pipeline = await startPipeline(config, 'all')
  return { s: standIns, p: pipeline, config }
}

describe.each(BUSES)('resilience on the %s bus', (bus) => {
  it('delivers everything after a destination answers 503 for 10 s, and the others are not held up', async () => {
    const { s, p } = await start(bus)
    s.webhook.script.failFor(10_000, 503)
    const startedAt = Date.now()
    const events = await postViews(p.url, 50)
    await until('datadog delivery', () => s.datadog.uniqueCount() >= events.length, 5000)
    expect(Date.now() - startedAt).toBeLessThan(5000)
    expect(s.webhook.uniqueCount()).toBe(0)
    await until('webhook recovery', () => s.webhook.uniqueCount() >= events.length, 60_000)
    expect(new Set(s.webhook.events.map((e) => e.event_id))).toEqual(new Set(events.map((e) => e.event_id)))
    expect(s.webhook.received.some((r) => r.status === 503)).toBe(true)
  }, 90_000)

  it('sends nothing to a destination before the Retry-After it asked for', async () => {
    const { s, p } = await start(bus)
    s.webhook.script.failNext(1, 429, { retryAfter: 2 })
    const events = await postViews(p.url, 2)
    await until('webhook delivery', () => s.webhook.uniqueCount() >= events.length, 30_000)
    const throttled = s.webhook.received.find((r) => r.status === 429)
    expect(throttled?.respondedAtMono).toBeDefined()
    const later = s.webhook.received.filter((r) => r.index > (throttled?.index ?? 0))
    expect(later.length).toBeGreaterThan(0)
    for (const r of later)
      expect(r.receivedAtMono - (throttled?.respondedAtMono ?? 0)).toBeGreaterThanOrEqual(2000)
  }, 60_000)

  it('dead-letters a permanently rejected record with its reason, and a replay delivers it after the fix', async () => {
    const { s, p, config } = await start(bus)
    s.webhook.script.failNext(1, 400, { body: { error: 'payload rejected by receiver' } })
    const events = await postViews(p.url, 1)
    const out = new PassThrough()
    const ctx = { config, bus: p.bus, logger: silentLogger, out }
    let entries: Awaited<ReturnType<typeof inspectDeadLetters>> = []
    await until('other destinations', () => s.datadog.uniqueCount() >= events.length, 20_000)
    for (let i = 0; i < 20 && entries.length < events.length; i++) {
      entries = await inspectDeadLetters('webhook', ctx, { idleMs: 500, firstRecordTimeoutMs: 3000 })
    }
    expect(entries.map((e) => e.entry.event?.event_id).sort()).toEqual(events.map((e) => e.event_id).sort())
    for (const { entry } of entries) {
      expect(entry).toMatchObject({
        reason: 'rejected',
        status: 400,
        attempts: 1,
        connector: { name: 'webhook', type: 'webhook' },
      })
      expect(entry.body_excerpt).toContain('payload rejected by receiver')
    }
    expect(s.webhook.uniqueCount()).toBe(0)

    const summary = await replayDeadLetters(
      'webhook',
      { ...ctx, connectors: connectorTypes },
      { idleMs: 500 },
    )
    expect(summary).toMatchObject({ replayed: events.length, delivered: events.length, failedAgain: 0 })
    expect(new Set(s.webhook.events.map((e) => e.event_id))).toEqual(new Set(events.map((e) => e.event_id)))
  }, 90_000)

  it('keeps the other destinations under 250 ms p99 while one hangs', async () => {
    const { s, p } = await start(bus)
    s.amplitude.script.hang()
    const events: EnrichedEvent[] = []
    // A steady flow rather than one burst: 20 requests of 10 events a second for 5 s.
    for (let i = 0; i < 25; i++) {
      const tick = Date.now()
      events.push(...((await postViews(p.url, 4, 10, 4)) as EnrichedEvent[]))
      await new Promise((r) => setTimeout(r, Math.max(0, 200 - (Date.now() - tick))))
    }
    await until('webhook and datadog', () =>
      [s.webhook.uniqueCount(), s.datadog.uniqueCount()].every((n) => n >= events.length),
    )
    const webhookLatency = s.webhook.events.map(
      (e) => (e.request?.receivedAt ?? 0) - Number(e.event.received_at),
    )
    const datadogLatency = s.datadog.logs.map((l) => (l.request?.receivedAt ?? 0) - Number(l.log.received_at))
    expect(webhookLatency.every(Number.isFinite)).toBe(true)
    expect(datadogLatency.every(Number.isFinite)).toBe(true)
    expect(percentile(webhookLatency, 99)).toBeLessThan(250)
    expect(percentile(datadogLatency, 99)).toBeLessThan(250)
    expect(s.amplitude.uniqueCount()).toBe(0)
  }, 90_000)
})
