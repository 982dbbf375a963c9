import { randomUUID } from 'node:crypto'
import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import type { BatchItem } from '../../src/worker/connector.ts'
import { transformer } from '../../test/fixtures/connector-results.ts'
import { makeEvent, makeView } from '../../test/fixtures/events.ts'
import { makeBatch, makeContext, standInSuite } from '../../test/fixtures/send-context.ts'
import { oneConnectorYaml, settingsMaker } from '../../test/fixtures/settings.ts'
import { testConfig } from '../../test/helpers/pipeline.ts'
import { type SplunkStandIn, splitConcatenatedJson, startSplunkStandIn } from '../../test/stand-ins/splunk.ts'
import splunk, { type SplunkResources, type SplunkSettings, settingsSchema } from './index.ts'
import { BUSY_RETRY_MS, outcomesForHecError } from './response.ts'
import type { HecEvent } from './transform.ts'

const TOKEN = '3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f'

const settings = settingsMaker(settingsSchema, () => ({
  url: 'http://127.0.0.1:9',
  token: TOKEN,
  ack_poll_interval_ms: 20,
  ack_wait_ms: 2000,
}))

const resources = (): SplunkResources => ({ channel: randomUUID(), acks: new Map(), warnedNoAck: false })

const transform = transformer(splunk, settings)

describe('splunk transform', () => {
  it('wraps the event in a HEC envelope with the event time in epoch seconds', () => {
    const event = makeEvent({ ts: 1772366400000, ts_corrected: 1772366400040 })
    expect(splunk.transform(event, settings())).toEqual({
      time: 1772366400.04,
      host: 'fw-ingest-1',
      source: 'framewire',
      sourcetype: '_json',
      event,
    })
    expect(JSON.stringify(transform({ ts_corrected: 1772366400040 }).time)).toBe('1772366400.04')
  })

  it('honours index, host, source and sourcetype', () => {
    const config = settings({
      index: 'video',
      host: 'edge-7',
      source: 'player',
      sourcetype: 'framewire:event',
    })
    expect(transform({}, config)).toMatchObject({
      index: 'video',
      host: 'edge-7',
      source: 'player',
      sourcetype: 'framewire:event',
    })
    expect(splunk.limits(settings({ max_request_bytes: 5000 })).maxBytes).toBe(5000)
  })

  it('validates its settings at config load', () => {
    const yaml = (entries: string) =>
      oneConnectorYaml('splunk', `url: 'https://splunk.example.com:8088', ${entries}`)
    expect(() => testConfig(yaml(`token: ${TOKEN}`))).not.toThrow()
    expect(() => testConfig(yaml('index: video'))).toThrow(/token/)
    expect(() => testConfig(yaml(`token: ${TOKEN}, index: 'Video Index'`))).toThrow(/index/)
  })
})

describe('HEC error answers', () => {
  const answer = (statusCode: number, text: string, headers = {}) => ({ statusCode, text, headers })

  it('rejects the event named by invalid-event-number and retries the others', () => {
    const body = '{"text":"Event field cannot be blank","code":13,"invalid-event-number":1}'
    expect(outcomesForHecError(answer(400, body), 3).outcomes).toEqual([
      expect.objectContaining({ kind: 'retry', afterMs: 0, status: 400 }),
      { kind: 'rejected', reason: 'Splunk HEC 400 code 13: Event field cannot be blank', status: 400, body },
      expect.objectContaining({ kind: 'retry', afterMs: 0 }),
    ])
  })

  it('pauses for token codes 1–4 and 401/403; rejects index and channel problems; retries busy and 5xx', () => {
    const all = (status: number, body: string) =>
      outcomesForHecError(answer(status, body), 2).outcomes.map((o) =>
        o.kind === 'paused' ? `paused ${o.cause}` : o.kind,
      )
    for (const [status, body] of [
      [403, '{"text":"Token disabled","code":1}'],
      [401, '{"text":"Token is required","code":2}'],
      [401, '{"text":"Invalid authorization","code":3}'],
      [403, '{"text":"Invalid token","code":4}'],
      [401, '<html>proxy says no</html>'],
    ] as const) {
      expect(all(status, body)).toEqual(['paused credentials', 'paused credentials'])
    }
    expect(all(400, '{"text":"Incorrect index","code":7,"invalid-event-number":0}')).toEqual([
      'rejected',
      'rejected',
    ])
    expect(all(400, '{"text":"Data channel is missing","code":10}')).toEqual(['rejected', 'rejected'])
    expect(all(500, '{"text":"Internal server error","code":8}')).toEqual(['retry', 'retry'])
    const busy = '{"text":"Server is busy","code":9}'
    expect(outcomesForHecError(answer(503, busy), 1).outcomes).toEqual([
      { kind: 'retry', reason: 'Splunk HEC 503 code 9: Server is busy', status: 503, afterMs: BUSY_RETRY_MS },
    ])
    expect(outcomesForHecError(answer(503, busy, { 'retry-after': '8' }), 1).outcomes[0]).toMatchObject({
      afterMs: 8000,
    })
    expect(outcomesForHecError(answer(413, 'Content-Length of 9 too large'), 1).tooLarge).toBe(true)
  })
})

describe('splunk send against the stand-in', () => {
  let s: SplunkStandIn
  const suite = standInSuite(() => s)

  const send = (batch: BatchItem<HecEvent>[], config: SplunkSettings, channel = resources()) =>
    splunk.send(batch, makeContext(config, suite.agent, { resources: channel }))

  it('sends gzip-compressed concatenated envelopes with the token and the channel; 200 code 0 is delivered', async () => {
    s = await startSplunkStandIn({ token: TOKEN })
    const config = settings({ url: s.url })
    const events = makeView(12)
    const channel = resources()
    const outcomes = await send(makeBatch(splunk, config, events), config, channel)

    expect(outcomes).toEqual(events.map(() => ({ kind: 'delivered' })))
    expect(s.received[0]?.url).toBe('/services/collector/event')
    expect(s.received[0]?.headers.authorization).toBe(`Splunk ${TOKEN}`)
    expect(s.received[0]?.headers['x-splunk-request-channel']).toBe(channel.channel)
    expect(s.encodings).toEqual(['gzip'])
    const body = gunzipSync(s.received[0]?.rawBody ?? Buffer.alloc(0)).toString()
    expect(body.startsWith('{"time":')).toBe(true)
    expect(splitConcatenatedJson(body)).toHaveLength(12)
    expect(s.indexed.map((e) => e.event_id)).toEqual(events.map((e) => e.event_id))
    expect(s.indexed[0]?.envelope).toMatchObject({
      source: 'framewire',
      sourcetype: '_json',
      host: 'fw-ingest-1',
    })
  })

  it('sends plain bodies when compression is none', async () => {
    s = await startSplunkStandIn({ token: TOKEN })
    const config = settings({ url: `${s.url}/`, compression: 'none' })
    expect(await send(makeBatch(splunk, config, makeView(2)), config)).toEqual([
      { kind: 'delivered' },
      { kind: 'delivered' },
    ])
    expect(s.encodings).toEqual(['identity'])
  })

  it('partial failure: the refused event is rejected, the others retried (those before it may duplicate)', async () => {
    s = await startSplunkStandIn({ token: TOKEN })
    const config = settings({ url: s.url })
    const batch = makeBatch(splunk, config, makeView(4))
    // An envelope HEC refuses: indexed fields must be strings (code 15).
    const bad = batch[2] as BatchItem<HecEvent>
    bad.record = { ...bad.record, fields: { cdn: { name: 'fastly' } } } as HecEvent

    const outcomes = await send(batch, config)
    expect(outcomes.map((o) => o.kind)).toEqual(['retry', 'retry', 'rejected', 'retry'])
    expect(outcomes[2]).toMatchObject({
      status: 400,
      reason: 'Splunk HEC 400 code 15: Error in handling indexed fields',
    })
    expect(s.uniqueCount()).toBe(2)

    const retried = [0, 1, 3].map((i) => batch[i] as BatchItem<HecEvent>)
    expect((await send(retried, config)).every((o) => o.kind === 'delivered')).toBe(true)
    expect(s.uniqueCount()).toBe(3)
    // HEC has no dedupe key: the events before the refused one were indexed twice.
    expect(s.duplicateCount()).toBe(2)
  })

  it('pauses for a wrong or disabled token; rejects every event for an index the token may not use', async () => {
    s = await startSplunkStandIn({ token: TOKEN, disabledTokens: ['old-token'], allowedIndexes: ['video'] })
    const wrong = settings({ url: s.url, token: 'nope' })
    expect(await send(makeBatch(splunk, wrong, makeView(1)), wrong)).toEqual([
      { kind: 'paused', cause: 'credentials', reason: 'Splunk HEC 403 code 4: Invalid token', status: 403 },
    ])
    const old = settings({ url: s.url, token: 'old-token' })
    expect((await send(makeBatch(splunk, old, makeView(1)), old))[0]).toMatchObject({
      kind: 'paused',
      reason: 'Splunk HEC 403 code 1: Token disabled',
    })
    const index = settings({ url: s.url, index: 'secret' })
    expect((await send(makeBatch(splunk, index, makeView(2)), index)).map((o) => o.kind)).toEqual([
      'rejected',
      'rejected',
    ])
    expect(s.uniqueCount()).toBe(0)
  })

  it('a token with acknowledgment gets the channel even without use_ack: accepted, delivered on 200', async () => {
    s = await startSplunkStandIn({ token: TOKEN, ack: true })
    const config = settings({ url: s.url })
    expect(await send(makeBatch(splunk, config, makeView(2)), config)).toEqual([
      { kind: 'delivered' },
      { kind: 'delivered' },
    ])
    expect(s.received.map((r) => r.status)).toEqual([200])
    expect(s.ackQueries()).toBe(0)
  })
})

describe('splunk indexer acknowledgment', () => {
  let s: SplunkStandIn
  const suite = standInSuite(() => s)
  const eventPosts = () => s.received.filter((r) => r.url === '/services/collector/event').length
  const ackConfig = (overrides: Partial<SplunkSettings> = {}) =>
    settings({ url: s.url, use_ack: true, ack_poll_interval_ms: 30, ...overrides })

  it('counts events as delivered only once HEC acknowledges their ackId on the channel', async () => {
    s = await startSplunkStandIn({ token: TOKEN, ack: true, ackDelayMs: 150 })
    const config = ackConfig()
    const channel = resources()
    const started = Date.now()
    const outcomes = await splunk.send(
      makeBatch(splunk, config, makeView(5)),
      makeContext(config, suite.agent, { resources: channel }),
    )
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true)
    expect(Date.now() - started).toBeGreaterThanOrEqual(150)
    expect(s.ackQueries()).toBeGreaterThan(1)
    const polls = s.received.filter((r) => r.url === '/services/collector/ack')
    expect(polls.every((r) => r.headers['x-splunk-request-channel'] === channel.channel)).toBe(true)
    expect(JSON.parse(polls[0]?.rawBody.toString() ?? '{}')).toEqual({ acks: [0] })
    expect(channel.acks.size).toBe(0)
  })

  it('indexing lag longer than one attempt: the events stay pending and are polled, never sent twice', async () => {
    s = await startSplunkStandIn({ token: TOKEN, ack: true, ackDelayMs: 700 })
    const config = ackConfig({ ack_wait_ms: 200 })
    const channel = resources()
    const batch = makeBatch(splunk, config, makeView(3))
    const ctx = () => makeContext(config, suite.agent, { resources: channel })
    const first = await splunk.send(batch, ctx())
    for (const outcome of first) {
      expect(outcome).toMatchObject({
        kind: 'retry',
        afterMs: 30,
        reason: expect.stringMatching(
          /^Splunk HEC: ackId 0 pending for \d+ ms \(not indexed yet\); polled again$/,
        ),
      })
    }
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(await splunk.send(batch, ctx())).toEqual(batch.map(() => ({ kind: 'delivered' })))
    expect(eventPosts()).toBe(1)
    expect(s.duplicateCount()).toBe(0)
    expect(s.uniqueCount()).toBe(3)
  })

  it('a request lost before indexing is never acknowledged: sent again once ack_timeout_ms has passed', async () => {
    s = await startSplunkStandIn({ token: TOKEN, ack: true, ackDelayMs: 0 })
    s.dropNextAcks(1)
    const config = ackConfig({ ack_wait_ms: 200, ack_timeout_ms: 1000 })
    const channel = resources()
    const batch = makeBatch(splunk, config, makeView(3))
    const ctx = () => makeContext(config, suite.agent, { resources: channel })
    expect((await splunk.send(batch, ctx())).map((o) => o.kind)).toEqual(['retry', 'retry', 'retry'])
    expect(s.uniqueCount()).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect(await splunk.send(batch, ctx())).toEqual(batch.map(() => ({ kind: 'delivered' })))
    expect(eventPosts()).toBe(2)
    expect(s.uniqueCount()).toBe(3)
  })

  it('too many acknowledgments pending on the channel: 503 code 9, retried after a wait', async () => {
    s = await startSplunkStandIn({ token: TOKEN, ack: true, ackDelayMs: 60_000, maxPendingAcksPerChannel: 1 })
    const config = ackConfig({ ack_wait_ms: 100 })
    const channel = resources()
    const ctx = () => makeContext(config, suite.agent, { resources: channel })
    expect((await splunk.send(makeBatch(splunk, config, makeView(1)), ctx()))[0]?.kind).toBe('retry')
    expect(await splunk.send(makeBatch(splunk, config, makeView(1)), ctx())).toEqual([
      { kind: 'retry', reason: 'Splunk HEC 503 code 9: Server is busy', status: 503, afterMs: BUSY_RETRY_MS },
    ])
  })

  it('forgets pending acknowledgments of events not sent again within twice ack_timeout_ms', async () => {
    s = await startSplunkStandIn({ token: TOKEN, ack: true, ackDelayMs: 0 })
    const config = ackConfig()
    const channel = resources()
    channel.acks.set('given-up', {
      ackId: 7,
      sentAt: Date.now() - 2 * config.ack_timeout_ms - 1,
      acked: false,
    })
    channel.acks.set('recent', { ackId: 8, sentAt: Date.now(), acked: false })
    await splunk.send(
      makeBatch(splunk, config, makeView(1)),
      makeContext(config, suite.agent, { resources: channel }),
    )
    expect([...channel.acks.keys()]).toEqual(['recent'])
  })

  it('use_ack against a token without acknowledgment: 200 without ackId is delivered, nothing polled', async () => {
    s = await startSplunkStandIn({ token: TOKEN })
    const config = ackConfig()
    const outcomes = await splunk.send(
      makeBatch(splunk, config, makeView(2)),
      makeContext(config, suite.agent, { resources: resources() }),
    )
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true)
    expect(s.ackQueries()).toBe(0)
  })

  it('a send aborted while waiting throws; the next attempt polls the same ackId instead of resending', async () => {
    s = await startSplunkStandIn({ token: TOKEN, ack: true, ackDelayMs: 400 })
    const config = ackConfig({ ack_wait_ms: 60_000 })
    const channel = resources()
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('runtime timeout')), 200)
    const batch = makeBatch(splunk, config, [makeEvent()])
    await expect(
      splunk.send(batch, makeContext(config, suite.agent, { resources: channel, signal: controller.signal })),
    ).rejects.toThrow()
    expect(await splunk.send(batch, makeContext(config, suite.agent, { resources: channel }))).toEqual([
      { kind: 'delivered' },
    ])
    expect(eventPosts()).toBe(1)
  })
})
