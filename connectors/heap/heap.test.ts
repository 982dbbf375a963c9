import { describe, expect, it } from 'vitest'
import { type BatchItem, SKIP } from '../../src/worker/connector.ts'
import { transformer } from '../../test/fixtures/connector-results.ts'
import { dictionaryExamples, makeEvent, makeView } from '../../test/fixtures/events.ts'
import { makeBatch, makeContext, sendToMockOrigin, standInSuite } from '../../test/fixtures/send-context.ts'
import { settingsMaker } from '../../test/fixtures/settings.ts'
import { type HeapStandIn, startHeapStandIn } from '../../test/stand-ins/heap.ts'
import heap, { type HeapSettings, settingsSchema } from './index.ts'
import { anonymousUserId, type HeapEvent } from './transform.ts'

const APP_ID = '1234567890'

const settings = settingsMaker(settingsSchema, () => ({ app_id: APP_ID }))

const transform = transformer(heap, settings)

describe('heap transform', () => {
  it('maps an event with flat properties, ISO timestamp and idempotency key', () => {
    const event = makeEvent({
      type: 'buffer_end',
      buffer: { cause: 'stall', during_ad: false, duration_ms: 1_350 },
    })
    const record = heap.transform(event, settings())
    if (record === SKIP) throw new Error('unexpected SKIP')
    expect(record).toMatchObject({
      event: 'Video Buffer End',
      timestamp: new Date(event.ts_corrected as number).toISOString(),
      idempotency_key: event.event_id,
      session_id: event.session_id,
      user_id: anonymousUserId('anon-5b1f0c2e-77d1'),
    })
    expect(record.identity).toBeUndefined()
    expect(record.properties).toMatchObject({
      view_id: event.view_id,
      seq: 4,
      source: 'web-player',
      'buffer.cause': 'stall',
      'buffer.during_ad': 'false',
      'buffer.duration_ms': 1_350,
      'content.title': 'The Long Night',
      'player.bitrate_kbps': 2_400,
      'device.browser_name': 'Chrome',
    })
    for (const value of Object.values(record.properties)) {
      expect(['string', 'number'].includes(typeof value) || Array.isArray(value)).toBe(true)
    }
    for (const key of Object.keys(record.properties)) expect(key).not.toMatch(/^(user|client_ip|user_agent)/)
  })

  it('identifies signed-in viewers; anonymous ones get a stable numeric user_id', () => {
    expect(transform({ user: { id: 'user-20391', anonymous_id: 'anon-1' } })).toMatchObject({
      identity: 'user-20391',
    })
    expect(transform({ user: { id: 'user-20391' } }).user_id).toBeUndefined()
    const id = anonymousUserId('anon-1')
    expect(Number(id)).toBeLessThanOrEqual(2 ** 53 - 1)
    expect(transform({ user: { anonymous_id: 'anon-1' } }).user_id).toBe(id)
    expect(transform({ user: undefined, session_id: 'session-9' }).user_id).toBe(anonymousUserId('session-9'))
    expect(transform({ user: { id: 'u'.repeat(256), anonymous_id: 'anon-1' } }).user_id).toBe(id)
  })

  it('cuts strings, keeps scalar arrays and names custom events', () => {
    const record = transform({
      type: 'custom',
      name: 'share_clicked',
      data: { tags: ['drama', 'nordic'], mixed: [{ a: 1 }], note: 'n'.repeat(3000) },
    })
    expect(record.event).toBe('Video Custom: share_clicked')
    expect(record.properties).toMatchObject({
      custom_event_name: 'share_clicked',
      'data.tags': ['drama', 'nordic'],
      'data.mixed': '[{"a":1}]',
    })
    expect(record.properties['data.note']).toHaveLength(1023)
    expect(transform({ type: 'seek_end' }, settings({ event_naming: 'raw' })).event).toBe('seek_end')
  })
})

describe('heap endpoint selection', () => {
  it.each([
    ['us', undefined, 'https://heapanalytics.com', '/api/track'],
    ['eu', undefined, 'https://c.eu.heap-api.com', '/api/track'],
    ['us', 'https://proxy.example.net/heap/track', 'https://proxy.example.net', '/heap/track'],
  ] as const)('region %s, server_url %s → %s', async (region, serverUrl, origin, path) => {
    const config = settings({ region, server_url: serverUrl })
    const outcomes = await sendToMockOrigin(heap, config, [makeEvent()], { origin, path, status: 200 })
    expect(outcomes).toEqual([{ kind: 'delivered' }])
  })
})

describe('heap send against the stand-in', () => {
  let s: HeapStandIn
  const suite = standInSuite(() => s)

  const start = async (options: Partial<Parameters<typeof startHeapStandIn>[0]> = {}) => {
    s = await startHeapStandIn({ appId: APP_ID, ...options })
    return settings({ server_url: s.endpoint })
  }
  const send = (batch: BatchItem<HeapEvent>[], config: HeapSettings) =>
    heap.send(batch, makeContext(config, suite.agent))

  it('delivers a view in one bulk request; a resend is deduplicated by idempotency_key', async () => {
    const config = await start()
    const batch = makeBatch(heap, config, makeView(30))
    expect(await send(batch, config)).toEqual(batch.map(() => ({ kind: 'delivered' })))
    expect(s.received).toHaveLength(1)
    expect(JSON.parse(s.received[0]?.rawBody.toString() ?? '{}')).toMatchObject({ app_id: APP_ID })
    expect(s.stored.map((e) => e.event.idempotency_key)).toEqual(batch.map((i) => i.event.event_id))

    expect(await send(batch, config)).toEqual(batch.map(() => ({ kind: 'delivered' })))
    expect(s.uniqueCount()).toBe(30)
    expect(s.duplicatesDropped()).toBe(30)
  })

  it('every data-dictionary example is stored', async () => {
    const config = await start()
    const examples = dictionaryExamples()
    const outcomes = await send(makeBatch(heap, config, examples), config)
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true)
    expect(s.uniqueCount()).toBe(examples.length)
  })

  it('a wrong app_id or an invalid event rejects the whole request (Heap names no event)', async () => {
    const config = await start()
    const wrong = settings({ server_url: s.endpoint, app_id: '999' })
    const outcomes = await send(makeBatch(heap, wrong, makeView(2)), wrong)
    expect(outcomes).toEqual(
      [0, 1].map(() => ({
        kind: 'rejected',
        reason: 'HTTP 400',
        status: 400,
        body: '{"error":"invalid app_id"}',
      })),
    )
    const batch = makeBatch(heap, config, makeView(3))
    const item = batch[1]
    if (item) item.record = { ...item.record, identity: 'both-ids-is-invalid' }
    const mixed = await send(batch, config)
    expect(mixed.every((o) => o.kind === 'rejected' && o.body?.includes('events[1]'))).toBe(true)
    expect(s.uniqueCount()).toBe(0)
  })

  it('429 over the per-identity rate is retried', async () => {
    const config = await start({ perIdentityPerMinute: 5 })
    const batch = makeBatch(heap, config, makeView(8, { user: { id: 'busy-viewer' } }))
    const outcomes = await send(batch, config)
    expect(outcomes.every((o) => o.kind === 'retry' && o.status === 429)).toBe(true)
    expect(await send(batch.slice(0, 5), config)).toEqual(
      batch.slice(0, 5).map(() => ({ kind: 'delivered' })),
    )
  })

  it('limits() caps bulk requests at 1000 events; the stand-in refuses a larger one', async () => {
    const config = await start()
    expect(heap.limits(config).maxItems).toBe(1000)
    const batch = makeBatch(heap, config, makeView(1001, { user: { id: 'bulk-viewer' } }))
    const outcomes = await send(batch, config)
    expect(outcomes.every((o) => o.kind === 'rejected' && o.body?.includes('at most 1000 events'))).toBe(true)
  })
})
