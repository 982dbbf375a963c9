import { gunzipSync, inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { credentialsRefused, kindsAt, transformer } from '../../test/fixtures/connector-results.ts'
import { makeEvent, recentView } from '../../test/fixtures/events.ts'
import { makeBatch, makeContext, sendToMockOrigin, standInSuite } from '../../test/fixtures/send-context.ts'
import { settingsMaker } from '../../test/fixtures/settings.ts'
import { testConfig } from '../../test/helpers/pipeline.ts'
import { type NewRelicStandIn, startNewRelicStandIn } from '../../test/stand-ins/newrelic.ts'
import newrelic, { MAX_PAYLOAD_BYTES, settingsSchema } from './index.ts'
import { MAX_VALUE_CHARS, type NewRelicEvent } from './transform.ts'

const ACCOUNT = '1234567'
const LICENSE = 'eu01xx0123456789abcdef0123456789abcdNRAL'

const settings = settingsMaker(settingsSchema, () => ({ account_id: ACCOUNT, api_key: LICENSE }))

const transform = transformer(newrelic, settings)

describe('newrelic transform', () => {
  it('flattens the event into dotted string/number attributes with eventType and timestamp', () => {
    const event = makeEvent({
      type: 'error',
      error: { code: 'hlsjs:fragLoadError', fatal: false, retries: 2 },
    })
    const record = newrelic.transform(event, settings())
    expect(record).toMatchObject({
      eventType: 'FramewireVideoEvent',
      timestamp: event.ts_corrected,
      event_id: event.event_id,
      type: 'error',
      view_id: event.view_id,
      seq: 4,
      source: 'web-player',
      'player.name': 'hls.js',
      'player.bitrate_kbps': 2400,
      'content.title': 'The Long Night',
      'cdn.pop': 'LHR',
      'user.consent.analytics': 'true',
      'error.code': 'hlsjs:fragLoadError',
      'error.fatal': 'false',
      'error.retries': 2,
      received_at: event.received_at,
    })
    for (const value of Object.values(record as NewRelicEvent))
      expect(['string', 'number']).toContain(typeof value)
  })

  it('turns arrays into JSON, truncates long values, cleans names and renames reserved ones', () => {
    const record = transform({
      type: 'custom',
      name: 'share_clicked',
      data: { tags: ['drama', 'nordic'], 'my key': 'x', note: 'n'.repeat(5000), missing: null },
      entity: { guid: 'spoofed' },
      appId: 'not-an-int',
    })
    expect(record['data.tags']).toBe('["drama","nordic"]')
    expect(record['data.my_key']).toBe('x')
    expect(record['data.note']).toHaveLength(MAX_VALUE_CHARS)
    expect('data.missing' in record).toBe(false)
    expect(record['fw_entity.guid']).toBe('spoofed')
    expect(record.fw_appId).toBe('not-an-int')
    expect('appId' in record).toBe(false)
  })

  it('honours event_type, and validates settings at config load', () => {
    expect(transform({}, settings({ event_type: 'Video:Player' })).eventType).toBe('Video:Player')
    const yaml = (s: string) => `
connectors:
  - name: nr
    type: newrelic
    settings: { account_id: ${ACCOUNT}, api_key: ${LICENSE}, ${s} }
`
    expect(() => testConfig(yaml('region: eu'))).not.toThrow()
    expect(() => testConfig(yaml('event_type: Metric1Minute'))).toThrow(/event_type/)
    expect(() => testConfig(yaml('event_type: Public_Video'))).toThrow(/event_type/)
    expect(() => testConfig(yaml('event_type: video.event'))).toThrow(/event_type/)
    expect(() => testConfig(yaml('max_payload_bytes: 2000000'))).toThrow(/max_payload_bytes/)
  })

  it('batches within 1 MB (10^6 bytes) uncompressed', () => {
    expect(newrelic.limits(settings()).maxBytes).toBe(MAX_PAYLOAD_BYTES - 2)
  })
})

describe('newrelic region selection', () => {
  it.each([
    ['us', 'https://insights-collector.newrelic.com'],
    ['eu', 'https://insights-collector.eu01.nr-data.net'],
  ] as const)('%s → %s/v1/accounts/<id>/events', async (region, origin) => {
    const outcomes = await sendToMockOrigin(newrelic, settings({ region }), recentView(1), {
      origin,
      path: `/v1/accounts/${ACCOUNT}/events`,
      headers: { 'api-key': LICENSE },
      status: 200,
      body: { success: true, uuid: 'u' },
    })
    expect(outcomes).toEqual([{ kind: 'delivered' }])
  })
})

describe('newrelic send against the stand-in', () => {
  let s: NewRelicStandIn
  const suite = standInSuite(() => s)

  it('POSTs a gzip JSON array with the license key as Api-Key; 200 is delivered and parses cleanly', async () => {
    s = await startNewRelicStandIn({ accountId: ACCOUNT, licenseKey: LICENSE })
    const config = settings({ url: s.url })
    const events = recentView(20)
    const outcomes = await newrelic.send(
      makeBatch(newrelic, config, events),
      makeContext(config, suite.agent),
    )

    expect(outcomes).toEqual(events.map(() => ({ kind: 'delivered' })))
    expect(s.received[0]?.url).toBe(`/v1/accounts/${ACCOUNT}/events`)
    expect(s.received[0]?.headers['api-key']).toBe(LICENSE)
    expect(s.encodings).toEqual(['gzip'])
    expect(JSON.parse(gunzipSync(s.received[0]?.rawBody ?? Buffer.alloc(0)).toString())).toHaveLength(20)
    expect(s.integrationErrors).toEqual([])
    expect(s.events.map((e) => e.event_id)).toEqual(events.map((e) => e.event_id))
  })

  it('sends a legacy insert key as X-Insert-Key, and deflate bodies', async () => {
    s = await startNewRelicStandIn({ accountId: ACCOUNT, licenseKey: LICENSE, insertKey: 'NRII-legacy' })
    const config = settings({
      url: s.url,
      key_type: 'insert',
      api_key: 'NRII-legacy',
      compression: 'deflate',
    })
    expect(
      await newrelic.send(makeBatch(newrelic, config, recentView(2)), makeContext(config, suite.agent)),
    ).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }])
    expect(s.received[0]?.headers['x-insert-key']).toBe('NRII-legacy')
    expect(s.received[0]?.headers['api-key']).toBeUndefined()
    expect(JSON.parse(inflateSync(s.received[0]?.rawBody ?? Buffer.alloc(0)).toString())).toHaveLength(2)
  })

  it('a wrong key or account is refused (403) → paused for credentials, nothing rejected', async () => {
    s = await startNewRelicStandIn({ accountId: ACCOUNT, licenseKey: LICENSE })
    for (const config of [
      settings({ url: s.url, api_key: 'browser-key' }),
      settings({ url: s.url, account_id: '999' }),
    ]) {
      const outcomes = await newrelic.send(
        makeBatch(newrelic, config, recentView(1)),
        makeContext(config, suite.agent),
      )
      expect(outcomes).toEqual(credentialsRefused(403))
    }
    expect(s.uniqueCount()).toBe(0)
  })

  it('rejects up front what New Relic would drop after its 200, and sends the rest', async () => {
    s = await startNewRelicStandIn({ accountId: ACCOUNT, licenseKey: LICENSE })
    const config = settings({ url: s.url })
    const [ok1, ok2] = recentView(2)
    const stale = makeEvent({ ts: Date.now() - 25 * 3600_000, ts_corrected: Date.now() - 25 * 3600_000 })
    const wide = makeEvent({
      ts: Date.now(),
      ts_corrected: Date.now(),
      type: 'custom',
      data: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i])),
    })
    const longName = makeEvent({
      ts: Date.now(),
      ts_corrected: Date.now(),
      type: 'custom',
      data: { ['n'.repeat(300)]: 1 },
    })
    const events = [ok1 ?? makeEvent(), stale, wide, longName, ok2 ?? makeEvent()]

    const outcomes = await newrelic.send(
      makeBatch(newrelic, config, events),
      makeContext(config, suite.agent),
    )
    expect(outcomes.map((o) => o.kind)).toEqual(kindsAt(5, { 1: 'rejected', 2: 'rejected', 3: 'rejected' }))
    expect(outcomes[1]).toMatchObject({ reason: expect.stringContaining('24 h') })
    expect(outcomes[2]).toMatchObject({ reason: expect.stringContaining('more than 255') })
    expect(outcomes[3]).toMatchObject({ reason: expect.stringContaining('attribute name longer') })
    expect(s.uniqueCount()).toBe(2)
    expect(s.integrationErrors).toEqual([])
  })

  it('the stand-in shows the silent loss a naive sender suffers: 200, then NrIntegrationError', async () => {
    s = await startNewRelicStandIn({ accountId: ACCOUNT, licenseKey: LICENSE })
    const res = await suite.agent.request({
      origin: s.url,
      path: `/v1/accounts/${ACCOUNT}/events`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': LICENSE },
      body: JSON.stringify([
        { eventType: 'Video', player: { name: 'hls.js' } },
        { eventType: 'Video.Start', n: 1 },
        { eventType: 'Video', ok: 1, event_id: 'kept' },
      ]),
    })
    const body = (await res.body.json()) as { success: boolean; uuid: string }
    expect(res.statusCode).toBe(200)
    expect(body.success).toBe(true)
    expect(s.uniqueCount()).toBe(1)
    expect(s.integrationErrors.map((e) => e.message)).toEqual([
      '1 event(s) rejected because attribute player is not a string or number',
      '1 event(s) rejected because `eventType` cannot contain the following characters: [., \\]',
    ])
    expect(s.integrationErrors.every((e) => e.requestId === body.uuid)).toBe(true)
  })
})
