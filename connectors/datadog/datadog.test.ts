import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { credentialsRefused, transformer } from '../../test/fixtures/connector-results.ts'
import { makeEvent, recentView } from '../../test/fixtures/events.ts'
import { makeBatch, makeContext, sendToMockOrigin, standInSuite } from '../../test/fixtures/send-context.ts'
import { settingsMaker } from '../../test/fixtures/settings.ts'
import { type DatadogStandIn, startDatadogStandIn } from '../../test/stand-ins/datadog.ts'
import datadog, { MAX_ENTRIES, MAX_PAYLOAD_BYTES, settingsSchema } from './index.ts'
import { sanitizeTag } from './transform.ts'

const API_KEY = 'dd-test-api-key-abcdef'

const settings = settingsMaker(settingsSchema, () => ({ api_key: API_KEY, tags: ['env:test'] }))

const transform = transformer(datadog, settings)

describe('datadog transform', () => {
  it('maps reserved attributes, tags and the event', () => {
    const event = makeEvent({ type: 'buffer_start', buffer: { cause: 'stall', during_ad: false }, seq: 7 })
    const log = datadog.transform(event, settings())
    expect(log).toMatchObject({
      ddsource: 'framewire',
      service: 'framewire',
      hostname: 'fw-ingest-1',
      status: 'warn',
      timestamp: event.ts_corrected,
      event_id: event.event_id,
      message: `buffer_start view=${event.view_id} seq=7`,
      ddtags: 'env:test,fw_source:web-player,event_type:buffer_start,cdn:fastly,player:hls.js',
      // event fields as attributes; the colliding `source` is renamed
      type: 'buffer_start',
      buffer: { cause: 'stall', during_ad: false },
      session_id: event.session_id,
      fw_source: 'web-player',
      content: { id: 'ep-4711', title: 'The Long Night' },
    })
  })

  it('reports errors at error level with their code and message in the summary', () => {
    const log = transform({
      type: 'error',
      error_code: 'MEDIA_ERR_DECODE',
      error_message: 'Decoding failed',
      status: 3,
    })
    expect(log.status).toBe('error')
    expect(log.message).toMatch(/^error view=.* seq=4: MEDIA_ERR_DECODE Decoding failed$/)
    expect(log.fw_status).toBe(3)
    expect(transform({ type: 'playing' }).status).toBe('info')
  })

  it('honours hostname, service and ddsource settings', () => {
    const config = settings({ hostname: 'edge-7', service: 'video-qoe', ddsource: 'player', tags: [] })
    expect(transform({}, config)).toMatchObject({
      hostname: 'edge-7',
      service: 'video-qoe',
      ddsource: 'player',
    })
  })

  it('sanitizes tags the way Datadog stores them', () => {
    expect(sanitizeTag('CDN:Akamai Edge,EU')).toBe('cdn:akamai_edge_eu')
    expect(sanitizeTag('player:shaka-player/4.9.1')).toBe('player:shaka-player/4.9.1')
    expect(sanitizeTag(`k:${'v'.repeat(300)}`)).toHaveLength(200)
  })

  it('limits batches to 1000 entries and 5 MB', () => {
    expect(datadog.limits(settings())).toEqual({ maxItems: MAX_ENTRIES, maxBytes: MAX_PAYLOAD_BYTES - 2 })
  })
})

describe('datadog site selection', () => {
  it.each([
    ['datadoghq.com', 'https://http-intake.logs.datadoghq.com'],
    ['datadoghq.eu', 'https://http-intake.logs.datadoghq.eu'],
    ['us5.datadoghq.com', 'https://http-intake.logs.us5.datadoghq.com'],
    ['ddog-gov.com', 'https://http-intake.logs.ddog-gov.com'],
  ] as const)('%s → %s/api/v2/logs', async (site, origin) => {
    const outcomes = await sendToMockOrigin(datadog, settings({ site }), recentView(1), {
      origin,
      path: '/api/v2/logs',
      headers: { 'dd-api-key': API_KEY },
      status: 202,
      body: {},
    })
    expect(outcomes).toEqual([{ kind: 'delivered' }])
  })
})

describe('datadog send against the stand-in', () => {
  let s: DatadogStandIn
  const suite = standInSuite(() => s)

  it('sends a gzip body the stand-in decodes; 202 means delivered', async () => {
    s = await startDatadogStandIn({ apiKey: API_KEY })
    const config = settings({ url: s.endpoint })
    const events = recentView(25)
    const outcomes = await datadog.send(makeBatch(datadog, config, events), makeContext(config, suite.agent))

    expect(outcomes).toEqual(events.map(() => ({ kind: 'delivered' })))
    expect(s.received[0]?.status).toBe(202)
    expect(s.encodings).toEqual(['gzip'])
    const raw = s.received[0]?.rawBody ?? Buffer.alloc(0)
    expect(raw.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]))
    expect(JSON.parse(gunzipSync(raw).toString())).toHaveLength(25)
    expect(s.uniqueCount()).toBe(25)
    expect(s.logs.map((l) => l.event_id)).toEqual(events.map((e) => e.event_id))
  })

  it('sends plain JSON when compression is none', async () => {
    s = await startDatadogStandIn({ apiKey: API_KEY })
    const config = settings({ url: s.endpoint, compression: 'none' })
    const outcomes = await datadog.send(
      makeBatch(datadog, config, recentView(3)),
      makeContext(config, suite.agent),
    )
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true)
    expect(s.encodings).toEqual(['identity'])
    expect(s.received[0]?.headers['content-encoding']).toBeUndefined()
  })

  it('a wrong API key is refused (403), a missing one (401): the connector pauses, nothing is rejected', async () => {
    s = await startDatadogStandIn({ apiKey: API_KEY })
    for (const api_key of ['wrong-key', '']) {
      const config = settings({ url: s.endpoint, api_key })
      const outcomes = await datadog.send(
        makeBatch(datadog, config, recentView(2)),
        makeContext(config, suite.agent),
      )
      const status = api_key === '' ? 401 : 403
      expect(outcomes).toEqual(credentialsRefused(status, 2))
    }
    expect(s.uniqueCount()).toBe(0)
  })

  it('a 429 without Retry-After waits for X-RateLimit-Reset', async () => {
    s = await startDatadogStandIn({ apiKey: API_KEY })
    s.script.failNext(1, 429, { headers: { 'x-ratelimit-reset': '12' } })
    const config = settings({ url: s.endpoint })
    const batch = makeBatch(datadog, config, recentView(1))
    expect(await datadog.send(batch, makeContext(config, suite.agent))).toEqual([
      { kind: 'retry', reason: 'HTTP 429', status: 429, afterMs: 12_000 },
    ])
    expect(await datadog.send(batch, makeContext(config, suite.agent))).toEqual([{ kind: 'delivered' }])
  })

  it('rejects up front what Datadog would silently truncate or drop, and sends the rest', async () => {
    s = await startDatadogStandIn({ apiKey: API_KEY })
    const config = settings({ url: s.endpoint })
    const [ok1, ok2] = recentView(2)
    const stale = makeEvent({ ts: Date.now() - 19 * 3600_000, ts_corrected: Date.now() - 19 * 3600_000 })
    const huge = makeEvent({ ts: Date.now(), ts_corrected: Date.now(), dump: 'x'.repeat(1_000_001) })
    const batch = makeBatch(datadog, config, [ok1 ?? makeEvent(), stale, huge, ok2 ?? makeEvent()])

    const outcomes = await datadog.send(batch, makeContext(config, suite.agent))
    expect(outcomes.map((o) => o.kind)).toEqual(['delivered', 'rejected', 'rejected', 'delivered'])
    expect(outcomes[1]).toMatchObject({ reason: expect.stringContaining('18 h') })
    expect(outcomes[2]).toMatchObject({ reason: expect.stringContaining('truncate') })
    expect(s.uniqueCount()).toBe(2)
    expect(s.truncatedCount()).toBe(0)
    expect(s.staleDroppedCount()).toBe(0)
  })

  it('the stand-in shows the silent loss a naive sender would suffer', async () => {
    s = await startDatadogStandIn({ apiKey: API_KEY })
    const stale = { ddsource: 'x', message: 'old', timestamp: Date.now() - 19 * 3600_000, event_id: 'old-1' }
    const res = await suite.agent.request({
      origin: s.url,
      path: '/api/v2/logs',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'dd-api-key': API_KEY },
      body: JSON.stringify([stale]),
    })
    await res.body.dump()
    expect(res.statusCode).toBe(202)
    expect(s.staleDroppedCount()).toBe(1)
    expect(s.uniqueCount()).toBe(0)
  })
})
