import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { type BatchItem, SKIP } from '../../src/worker/connector.ts'
import { credentialsRefused, kindsAt, transformer } from '../../test/fixtures/connector-results.ts'
import { dictionaryExamples, makeEvent, makeView } from '../../test/fixtures/events.ts'
import { makeBatch, makeContext, sendToMockOrigin, standInSuite } from '../../test/fixtures/send-context.ts'
import { settingsMaker } from '../../test/fixtures/settings.ts'
import { type MixpanelStandIn, startMixpanelStandIn } from '../../test/stand-ins/mixpanel.ts'
import mixpanel, { MIN_BACKOFF_MS, type MixpanelSettings, settingsSchema } from './index.ts'
import { outcomesFor400 } from './response.ts'
import { clamp, insertId, type MixpanelEvent } from './transform.ts'

const PROJECT = '3141592'
const USER = 'framewire.sa.test'
const SECRET = 'mp-sa-secret-0123456789'

const settings = settingsMaker(settingsSchema, () => ({
  project_id: PROJECT,
  service_account_username: USER,
  service_account_secret: SECRET,
}))

const transform = transformer(mixpanel, settings)

describe('mixpanel transform', () => {
  it('maps time, ids and Mixpanel default properties', () => {
    const event = makeEvent({
      type: 'rendition_change',
      rendition: { track: 'video', bitrate_kbps: 4_500 },
      user: { id: 'user-20391', anonymous_id: 'anon-5b1f0c2e-77d1', consent: { analytics: true } },
    })
    const record = mixpanel.transform(event, settings())
    if (record === SKIP) throw new Error('unexpected SKIP')
    expect(record.event).toBe('Video Rendition Change')
    expect(record.properties).toMatchObject({
      time: Math.round(event.ts_corrected as number),
      distinct_id: 'user-20391',
      $user_id: 'user-20391',
      $device_id: 'anon-5b1f0c2e-77d1',
      $insert_id: event.event_id,
      ip: 0,
      $os: 'macOS',
      $browser: 'Chrome',
      $current_url: 'https://www.example.com/watch/ep-4711',
      view_id: event.view_id,
      session_id: event.session_id,
      seq: 4,
      rendition: { track: 'video', bitrate_kbps: 4_500 },
      content: { id: 'ep-4711', title: 'The Long Night' },
    })
    for (const key of ['user', 'client_ip', 'user_agent', 'event_id', 'ts', 'type']) {
      expect(record.properties).not.toHaveProperty(key)
    }
    expect(transform({}, settings({ forward_client_ip: true })).properties.ip).toBe('203.0.113.0')
    expect(transform({ type: 'seek_end' }, settings({ event_naming: 'raw' })).event).toBe('seek_end')
  })

  it('falls back from refused ids, and keeps a UUID event_id as $insert_id', () => {
    const anonymous = transform({ user: { id: 'null', anonymous_id: 'undefined' }, session_id: 'session-1' })
    expect(anonymous.properties.distinct_id).toBe('session-1')
    expect(anonymous.properties).not.toHaveProperty('$user_id')
    const uuid = '29fc2962-6d9c-455d-95ad-95b84f09b9e4'
    expect(insertId(uuid)).toBe(uuid)
    expect(insertId('evt_with_underscores_and_a_very_long_tail_0123456789')).toMatch(/^[0-9a-f]{36}$/)
    expect(insertId('0')).toMatch(/^[0-9a-f]{36}$/)
  })

  it('keeps nesting within 3 levels and lists under 255 items', () => {
    const deep = { a: { b: { c: { d: 1 } } }, list: Array.from({ length: 300 }, (_, i) => i) }
    expect(clamp(deep)).toEqual({
      a: { b: { c: '{"d":1}' } },
      list: Array.from({ length: 254 }, (_, i) => i),
    })
    const custom = transform({
      type: 'custom',
      name: 'share_clicked',
      data: { target: { x: { y: { z: 1 } } } },
    })
    expect(custom.event).toBe('Video Custom: share_clicked')
    expect(custom.properties.custom_event_name).toBe('share_clicked')
    expect(custom.properties.data).toEqual({ target: { x: { y: '{"z":1}' } } })
  })
})

describe('mixpanel 400 reading', () => {
  const records = [0, 1, 2, 3].map((i) => transform({ event_id: `00000000-0000-4000-8000-00000000000${i}` }))

  it('rejects the failed records (by index or insert_id) and delivers the imported ones', () => {
    const body = JSON.stringify({
      code: 400,
      error: 'some data points in the request failed validation',
      failed_records: [
        {
          index: 1,
          $insert_id: records[1]?.properties.$insert_id,
          field: 'properties.time',
          message: 'bad time',
        },
        { insert_id: records[3]?.properties.$insert_id, field: 'properties.distinct_id', message: 'bad id' },
      ],
      num_records_imported: 2,
      status: 'Bad Request',
    })
    const outcomes = outcomesFor400(records, body)
    expect(outcomes.map((o) => o.kind)).toEqual(['delivered', 'rejected', 'delivered', 'rejected'])
    expect(outcomes[1]).toMatchObject({ reason: 'Mixpanel 400: properties.time: bad time', status: 400 })
    expect(outcomes[3]).toMatchObject({ reason: 'Mixpanel 400: properties.distinct_id: bad id' })
  })

  it('retries the unlisted records when fewer were imported than accepted; rejects all without a list', () => {
    const body = JSON.stringify({
      failed_records: [{ index: 0, field: 'event', message: 'x' }],
      num_records_imported: 1,
    })
    expect(outcomesFor400(records, body).map((o) => o.kind)).toEqual(['rejected', 'retry', 'retry', 'retry'])
    const none = outcomesFor400(records, '{"code":400,"error":"unable to parse JSON body"}')
    expect(
      none.every((o) => o.kind === 'rejected' && o.reason === 'Mixpanel 400: unable to parse JSON body'),
    ).toBe(true)
  })
})

describe('mixpanel endpoint selection', () => {
  it.each([
    ['us', undefined, 'https://api.mixpanel.com', '/import'],
    ['eu', undefined, 'https://api-eu.mixpanel.com', '/import'],
    ['in', undefined, 'https://api-in.mixpanel.com', '/import'],
    ['eu', 'https://proxy.example.net/mp/import', 'https://proxy.example.net', '/mp/import'],
  ] as const)('region %s, server_url %s → %s', async (region, serverUrl, origin, path) => {
    const config = settings({ region, server_url: serverUrl })
    const outcomes = await sendToMockOrigin(mixpanel, config, [makeEvent()], {
      origin,
      path: `${path}?strict=1&project_id=${PROJECT}`,
      status: 200,
      body: { code: 200, num_records_imported: 1, status: 'OK' },
    })
    expect(outcomes).toEqual([{ kind: 'delivered' }])
  })
})

describe('mixpanel send against the stand-in', () => {
  let s: MixpanelStandIn
  const suite = standInSuite(() => s)

  const start = async (options: { maxEvents?: number } = {}) => {
    s = await startMixpanelStandIn({ projectId: PROJECT, username: USER, secret: SECRET, ...options })
    return settings({ server_url: s.endpoint })
  }
  const send = (batch: BatchItem<MixpanelEvent>[], config: MixpanelSettings) =>
    mixpanel.send(batch, makeContext(config, suite.agent))

  it('imports a view gzip-compressed with Basic auth; a resend is deduplicated', async () => {
    const config = await start()
    const batch = makeBatch(mixpanel, config, makeView(30))
    expect(await send(batch, config)).toEqual(batch.map(() => ({ kind: 'delivered' })))
    const req = s.received[0]
    expect(req?.url).toBe(`/import?strict=1&project_id=${PROJECT}`)
    expect(req?.headers['content-encoding']).toBe('gzip')
    expect(JSON.parse(gunzipSync(req?.rawBody ?? Buffer.alloc(0)).toString())).toHaveLength(30)
    expect(s.uniqueCount()).toBe(30)
    expect(s.ingested.map((e) => e.properties.$insert_id)).toEqual(batch.map((i) => i.event.event_id))

    expect(await send(batch, settings({ server_url: s.endpoint, compression: 'none' }))).toEqual(
      batch.map(() => ({ kind: 'delivered' })),
    )
    expect(s.uniqueCount()).toBe(30)
    expect(s.duplicatesDropped()).toBe(30)
  })

  it('every data-dictionary example is imported', async () => {
    const config = await start()
    const examples = dictionaryExamples()
    const outcomes = await send(makeBatch(mixpanel, config, examples), config)
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true)
    expect(s.uniqueCount()).toBe(examples.length)
  })

  it('wrong credentials are refused with 401 → the connector pauses, nothing is rejected', async () => {
    const config = { ...(await start()), service_account_secret: 'wrong' }
    const outcomes = await send(makeBatch(mixpanel, config, makeView(3)), config)
    expect(outcomes).toEqual(credentialsRefused(401, 3))
    expect(s.uniqueCount()).toBe(0)
  })

  it('400 partial failure: the invalid records are rejected, the others were ingested and are delivered', async () => {
    const config = await start()
    const batch = makeBatch(mixpanel, config, makeView(6))
    const patch = (i: number, properties: Record<string, unknown>) => {
      const item = batch[i]
      if (item) item.record = { ...item.record, properties: { ...item.record.properties, ...properties } }
    }
    patch(1, { time: 1.5 })
    patch(4, { distinct_id: 'undefined' })
    const outcomes = await send(batch, config)
    expect(outcomes.map((o) => o.kind)).toEqual(kindsAt(6, { 1: 'rejected', 4: 'rejected' }))
    expect(outcomes[1]).toMatchObject({ reason: expect.stringContaining('properties.time'), status: 400 })
    expect(outcomes[4]).toMatchObject({ reason: expect.stringContaining('properties.distinct_id') })
    // Mixpanel did ingest the four valid ones in that same 400 request: no resend needed.
    expect(s.uniqueCount()).toBe(4)
    expect(s.received).toHaveLength(1)
  })

  it('413: the batch is split until it fits; an event over 1 MB is rejected before sending', async () => {
    const config = await start({ maxEvents: 4 })
    const batch = makeBatch(mixpanel, config, makeView(10))
    expect(await send(batch, config)).toEqual(batch.map(() => ({ kind: 'delivered' })))
    expect(s.uniqueCount()).toBe(10)
    expect(s.received.map((r) => r.status)).toContain(413)

    const requests = s.received.length
    const huge = makeBatch(mixpanel, config, [
      makeEvent({ type: 'custom', name: 'big', data: { blob: 'x'.repeat(1_000_000) } }),
    ])
    const [outcome] = await send(huge, config)
    expect(outcome).toMatchObject({
      kind: 'rejected',
      reason: expect.stringContaining('Mixpanel accepts events under'),
    })
    expect(s.received).toHaveLength(requests)
  })

  it('429 and 5xx are retried after Retry-After, or 2 s by default', async () => {
    const config = await start()
    s.script
      .failNext(1, 429, { retryAfter: 7 })
      .failNext(1, 429)
      .failNext(1, 503)
      .failNext(1, 500, { retryAfter: 1 })
    const batch = makeBatch(mixpanel, config, makeView(2))
    const afterMs = async () =>
      (await send(batch, config)).map((o) => (o.kind === 'retry' ? o.afterMs : o.kind))
    expect(await afterMs()).toEqual([7_000, 7_000])
    expect(await afterMs()).toEqual([MIN_BACKOFF_MS, MIN_BACKOFF_MS])
    expect(await afterMs()).toEqual([MIN_BACKOFF_MS, MIN_BACKOFF_MS])
    expect(await afterMs()).toEqual([1_000, 1_000])
    expect(await send(batch, config)).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }])
  })

  it('without strict=1 the stand-in drops invalid events silently, which is why strict is always sent', async () => {
    await start()
    const body = JSON.stringify([
      { event: 'x', properties: { time: 1, distinct_id: 'd', $insert_id: 'i-1' } },
    ])
    const auth = `Basic ${Buffer.from(`${USER}:${SECRET}`).toString('base64')}`
    const res = await suite.agent.request({
      origin: s.url,
      path: `/import?project_id=${PROJECT}`,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth },
      body,
    })
    expect(res.statusCode).toBe(200)
    await res.body.dump()
    expect(s.silentlyDropped()).toBe(1)
    expect(s.uniqueCount()).toBe(0)
  })
})
