import { MockAgent } from 'undici'
import { describe, expect, it } from 'vitest'
import type { BatchItem } from '../../src/worker/connector.ts'
import { kindsAt, transformer } from '../../test/fixtures/connector-results.ts'
import { makeEvent, makeView } from '../../test/fixtures/events.ts'
import { makeBatch, makeContext, sendToMockOrigin, standInSuite } from '../../test/fixtures/send-context.ts'
import { settingsMaker } from '../../test/fixtures/settings.ts'
import { type AmplitudeStandIn, startAmplitudeStandIn } from '../../test/stand-ins/amplitude.ts'
import amplitude, { type AmplitudeSettings, MAX_EVENTS, MAX_REQUEST_BYTES, settingsSchema } from './index.ts'
import { DAILY_QUOTA_PAUSE_MS, outcomesFor400, outcomesFor429, THROTTLE_PAUSE_MS } from './response.ts'
import type { AmplitudeEvent } from './transform.ts'

const API_KEY = 'amp-test-key-0123456789'

const settings = settingsMaker(settingsSchema, () => ({ api_key: API_KEY }))

const transform = transformer(amplitude, settings)

describe('amplitude transform', () => {
  it('maps the common fields', () => {
    const event = makeEvent({
      type: 'buffer_start',
      ts: 1_772_366_400_000,
      ts_corrected: 1_772_366_400_040.6,
    })
    const record = amplitude.transform(event, settings())
    expect(record).toMatchObject({
      event_type: 'Video Buffer Start',
      insert_id: event.event_id,
      time: 1_772_366_400_041,
      device_id: 'anon-5b1f0c2e-77d1',
      platform: 'Web',
      os_name: 'macOS',
      os_version: '15.3',
      language: 'en-GB',
    })
  })

  it('names event types in title or raw style; custom events use their name', () => {
    expect(transform({ type: 'ad_break_start' }).event_type).toBe('Video Ad Break Start')
    expect(transform({ type: 'view_end' }).event_type).toBe('Video View End')
    expect(transform({ type: 'custom', name: 'Share Clicked' }).event_type).toBe(
      'Video Custom: Share Clicked',
    )
    const raw = settings({ event_naming: 'raw' })
    expect(transform({ type: 'seek_end' }, raw).event_type).toBe('seek_end')
    expect(transform({ type: 'custom', name: 'share_clicked' }, raw).event_type).toBe('share_clicked')
    expect(transform({ type: 'custom', name: '[Amplitude] Revenue' }, raw).event_type).toBe(
      'Video [Amplitude] Revenue',
    )
  })

  it('maps user.id to user_id and user.anonymous_id to device_id, never a session or view id', () => {
    const withUser = transform({ user: { id: 'user-20391', anonymous_id: 'anon-abcdef' } })
    expect(withUser.user_id).toBe('user-20391')
    expect(withUser.device_id).toBe('anon-abcdef')

    const sessionId = '5d7c1a8e-3f0b-4c5e-9a41-0f3e8d2b6c11'
    const noIds = transform({ user: undefined, session_id: sessionId })
    expect(noIds.user_id).toBeUndefined()
    expect(noIds.device_id).toBeUndefined()

    // Too short for min_id_length 5, or an Amplitude placeholder: not sent.
    const bad = transform({ user: { id: '42', anonymous_id: 'null' }, session_id: sessionId })
    expect(bad.user_id).toBeUndefined()
    expect(bad.device_id).toBeUndefined()
    expect(transform({ user: { id: '42' } }, settings({ min_id_length: 2 })).user_id).toBe('42')
  })

  it('refuses an event without a user or device id alone, before any request', async () => {
    const config = settings({ server_url: 'http://127.0.0.1:9/never' })
    const batch = makeBatch(amplitude, config, [makeEvent({ user: undefined })])
    const refusal = 'no usable user.id or user.anonymous_id: Amplitude needs a user or a device id'
    expect(await amplitude.plan(batch, config)).toEqual([
      { kind: 'refused', event_id: batch[0]?.event.event_id, reason: refusal },
    ])
    const outcomes = await amplitude.send(batch, makeContext(config, new MockAgent()))
    expect(outcomes).toEqual([
      {
        kind: 'rejected',
        reason: 'no usable user.id or user.anonymous_id: Amplitude needs a user or a device id',
      },
    ])
  })

  it('sends session_id only as a start time in ms: session_start, or the time inside a UUIDv7 session_id', () => {
    expect(transform({}).session_id).toBeUndefined()
    expect(transform({ session_start: 1_772_366_000_000 }).session_id).toBe(1_772_366_000_000)
    expect(transform({ session_start: 'yesterday' }).session_id).toBeUndefined()
    // 0x019ca9450a00 = 1772366400000 ms = 2026-03-01T12:00:00Z
    const v7 = '019ca945-0a00-7abc-8def-0123456789ab'
    expect(transform({ session_id: v7 }).session_id).toBe(1_772_366_400_000)
    // A v7 id whose time is far after the event is not trusted.
    expect(
      transform({ session_id: v7, ts: 1_700_000_000_000, ts_corrected: 1_700_000_000_000 }).session_id,
    ).toBe(undefined)
    expect(transform({ session_id: '5d7c1a8e-3f0b-4c5e-9a41-0f3e8d2b6c11' }).session_id).toBeUndefined()
  })

  it('puts event fields and context groups in event_properties, never user or client IP', () => {
    const record = transform({
      type: 'rendition_change',
      rendition: { track: 'video', bitrate_kbps: 4_500, previous_bitrate_kbps: 2_400 },
      seq: 9,
      user: { id: 'user-20391', consent: { analytics: true } },
    })
    const props = record.event_properties
    expect(props).toMatchObject({
      rendition: { track: 'video', bitrate_kbps: 4_500, previous_bitrate_kbps: 2_400 },
      seq: 9,
      source: 'web-player',
      content: { id: 'ep-4711', title: 'The Long Night' },
      cdn: { name: 'fastly', pop: 'LHR' },
      player: { name: 'hls.js' },
      device: { browser_name: 'Chrome' },
    })
    expect(typeof props.view_id).toBe('string')
    expect(typeof props.session_id).toBe('string')
    for (const key of ['user', 'client_ip', 'user_agent', 'event_id', 'ts', 'ingest_node']) {
      expect(props).not.toHaveProperty(key)
    }
    expect(record.ip).toBeUndefined()
    expect(transform({}, settings({ forward_client_ip: true })).ip).toBe('203.0.113.0')
  })

  it('cuts strings to 1024 characters', () => {
    const record = transform({ type: 'error', error: { code: 'x', message: 'e'.repeat(5000), fatal: true } })
    expect((record.event_properties.error as { message: string }).message).toHaveLength(1024)
  })

  it('keeps batches under 2000 events and 1 MB including the envelope', () => {
    const limits = amplitude.limits(settings())
    expect(limits.maxItems).toBe(MAX_EVENTS)
    const envelope = JSON.stringify({ api_key: API_KEY, events: [] }).length
    expect(limits.maxBytes + envelope).toBeLessThan(MAX_REQUEST_BYTES)
  })
})

describe('amplitude response readings', () => {
  const records = [0, 1, 2, 3].map((i) => ({
    event_type: 'Video Playing',
    time: 1,
    insert_id: `i${i}`,
    device_id: `device-${i % 2}`,
    user_id: i === 3 ? 'user-quota' : undefined,
    event_properties: {},
  }))

  it('400 with index maps: listed events rejected, others retried at once', () => {
    const body = JSON.stringify({
      code: 400,
      error: 'Invalid field values on some events',
      events_with_invalid_fields: { time: [2] },
      events_with_missing_fields: { event_type: [2, 99] },
      silenced_events: [0],
    })
    const outcomes = outcomesFor400(records, body)
    expect(outcomes.map((o) => o.kind)).toEqual(['rejected', 'retry', 'rejected', 'retry'])
    expect(outcomes[2]).toMatchObject({
      reason: 'Amplitude 400: invalid time; missing event_type',
      status: 400,
    })
    expect(outcomes[1]).toMatchObject({ afterMs: 0 })
  })

  it('400 without indexes rejects everything, but a refused key pauses', () => {
    const outcomes = outcomesFor400(records, '{"code":400,"error":"Request missing required field"}')
    expect(outcomes.every((o) => o.kind === 'rejected')).toBe(true)
    const refused = outcomesFor400(records, '{"code":400,"error":"Invalid API key"}')
    expect(
      refused.every(
        (o) =>
          o.kind === 'paused' && o.cause === 'credentials' && o.reason === 'Amplitude 400: Invalid API key',
      ),
    ).toBe(true)
  })

  it('429 delays throttled and over-quota users/devices, retries the rest at once', () => {
    const body = JSON.stringify({
      code: 429,
      throttled_devices: { 'device-0': 31 },
      throttled_users: {},
      exceeded_daily_quota_users: { 'user-quota': 600_000 },
    })
    const outcomes = outcomesFor429(records, body, undefined)
    expect(outcomes).toEqual([
      expect.objectContaining({ kind: 'retry', afterMs: THROTTLE_PAUSE_MS }),
      expect.objectContaining({ kind: 'retry', afterMs: 0 }),
      expect.objectContaining({ kind: 'retry', afterMs: THROTTLE_PAUSE_MS }),
      expect.objectContaining({ kind: 'retry', afterMs: DAILY_QUOTA_PAUSE_MS }),
    ])
    const unknown = outcomesFor429(records, 'rate limited', '45')
    expect(unknown.every((o) => o.kind === 'retry' && o.afterMs === 45_000)).toBe(true)
  })
})

describe('amplitude endpoint selection', () => {
  it.each([
    ['us', undefined, 'https://api2.amplitude.com'],
    ['eu', undefined, 'https://api.eu.amplitude.com'],
    ['eu', 'https://proxy.example.net/amp/2/httpapi', 'https://proxy.example.net'],
  ] as const)('region %s, server_url %s → %s', async (region, serverUrl, origin) => {
    const config = settings({ region, server_url: serverUrl })
    const outcomes = await sendToMockOrigin(amplitude, config, [makeEvent()], {
      origin,
      path: serverUrl ? '/amp/2/httpapi' : '/2/httpapi',
      status: 200,
      body: { code: 200, events_ingested: 1, payload_size_bytes: 10, server_upload_time: 1 },
    })
    expect(outcomes).toEqual([{ kind: 'delivered' }])
  })
})

describe('amplitude send against the stand-in', () => {
  let s: AmplitudeStandIn
  const suite = standInSuite(() => s)

  const send = (batch: BatchItem<AmplitudeEvent>[], config: AmplitudeSettings) =>
    amplitude.send(batch, makeContext(config, suite.agent))

  it('delivers a view; a resend is deduplicated by insert_id', async () => {
    s = await startAmplitudeStandIn({ apiKey: API_KEY })
    const config = settings({ server_url: s.endpoint })
    const batch = makeBatch(amplitude, config, makeView(30))

    expect(await send(batch, config)).toEqual(batch.map(() => ({ kind: 'delivered' })))
    expect(s.uniqueCount()).toBe(batch.length)
    expect(s.ingested.map((e) => e.insert_id)).toEqual(batch.map((item) => item.event.event_id))

    expect(await send(batch, config)).toEqual(batch.map(() => ({ kind: 'delivered' })))
    expect(s.uniqueCount()).toBe(batch.length)
    expect(s.duplicatesDropped()).toBe(batch.length)
  })

  it('a wrong API key is refused by the stand-in → the connector pauses, nothing is rejected', async () => {
    s = await startAmplitudeStandIn({ apiKey: API_KEY })
    const config = settings({ server_url: s.endpoint, api_key: 'not-the-key' })
    const outcomes = await send(makeBatch(amplitude, config, makeView(4)), config)
    expect(outcomes).toHaveLength(4)
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({
        kind: 'paused',
        cause: 'credentials',
        status: 400,
        reason: 'Amplitude 400: Invalid API key',
      })
    }
    expect(s.uniqueCount()).toBe(0)
  })

  it('400 partial failure: exactly the invalid events are rejected, the rest retried and then delivered', async () => {
    s = await startAmplitudeStandIn({ apiKey: API_KEY })
    const config = settings({ server_url: s.endpoint })
    const batch = makeBatch(amplitude, config, makeView(7, { extra: { session_start: 1 } })).slice(0, 6)
    // Break three records the way a buggy transform could.
    const broken = (i: number, patch: Partial<AmplitudeEvent>) => {
      const item = batch[i]
      if (item) item.record = { ...item.record, ...patch }
    }
    broken(1, { event_type: '' })
    broken(3, { time: 1.5 })
    broken(4, { device_id: 'abc', user_id: undefined })

    const outcomes = await send(batch, config)
    expect(outcomes.map((o) => o.kind)).toEqual(
      kindsAt(6, { 1: 'rejected', 3: 'rejected', 4: 'rejected' }, 'retry'),
    )
    expect(outcomes[1]).toMatchObject({ reason: 'Amplitude 400: missing event_type', status: 400 })
    expect(outcomes[3]).toMatchObject({ reason: 'Amplitude 400: invalid time' })
    expect(outcomes[4]).toMatchObject({ reason: 'Amplitude 400: invalid id length device_id' })
    expect(outcomes[0]).toEqual({
      kind: 'retry',
      reason: 'not ingested: other events in the request were invalid',
      status: 400,
      afterMs: 0,
    })
    expect(s.uniqueCount()).toBe(0)

    const retried = batch.filter((_, i) => outcomes[i]?.kind === 'retry')
    expect(await send(retried, config)).toEqual(retried.map(() => ({ kind: 'delivered' })))
    expect(s.uniqueCount()).toBe(3)
  })

  it("429 for a throttled device: its events wait 30 s, the other device's events are retried at once", async () => {
    s = await startAmplitudeStandIn({ apiKey: API_KEY })
    const config = settings({ server_url: s.endpoint })
    const viewA = makeView(6, { user: { anonymous_id: 'anon-device-aaaa' } })
    const viewB = makeView(6, { user: { anonymous_id: 'anon-device-bbbb' } })
    const batch = makeBatch(amplitude, config, [...viewA, ...viewB])
    s.throttle({ devices: ['anon-device-aaaa'] })

    const outcomes = await send(batch, config)
    outcomes.forEach((outcome, i) => {
      const device = batch[i]?.record.device_id
      expect(outcome).toMatchObject({
        kind: 'retry',
        status: 429,
        afterMs: device === 'anon-device-aaaa' ? THROTTLE_PAUSE_MS : 0,
      })
    })
    expect(s.received[0]?.status).toBe(429)
    expect(s.uniqueCount()).toBe(0)
  })

  it('429 from the real eps computation and from an exceeded daily quota', async () => {
    s = await startAmplitudeStandIn({ apiKey: API_KEY, epsThreshold: 1 })
    const config = settings({ server_url: s.endpoint })
    const burst = makeBatch(amplitude, config, makeView(40, { user: { anonymous_id: 'anon-noisy-1' } }))
    const outcomes = await send(burst, config)
    expect(outcomes.every((o) => o.kind === 'retry' && o.afterMs === THROTTLE_PAUSE_MS)).toBe(true)

    s.exceedDailyQuota({ users: ['user-over-quota'] })
    // A batch entirely over quota pauses the connector for the quota window; mixed with others it waits alone.
    const quota = makeBatch(amplitude, config, [makeEvent({ user: { id: 'user-over-quota' } })])
    expect(await send(quota, config)).toEqual([
      expect.objectContaining({ kind: 'paused', cause: 'quota', afterMs: DAILY_QUOTA_PAUSE_MS }),
    ])
    const mixed = makeBatch(amplitude, config, [
      makeEvent({ user: { id: 'user-over-quota' } }),
      makeEvent({ user: { id: 'user-within-quota' } }),
    ])
    expect(await send(mixed, config)).toEqual([
      expect.objectContaining({ kind: 'retry', afterMs: DAILY_QUOTA_PAUSE_MS }),
      expect.objectContaining({ kind: 'retry', afterMs: 0 }),
    ])
  })

  it('events of a silenced device are rejected', async () => {
    s = await startAmplitudeStandIn({ apiKey: API_KEY })
    s.silence(['anon-silenced-1'])
    const config = settings({ server_url: s.endpoint })
    const batch = makeBatch(amplitude, config, [
      makeEvent({ user: { anonymous_id: 'anon-silenced-1' } }),
      makeEvent({ user: { anonymous_id: 'anon-fine-0001' } }),
    ])
    const outcomes = await send(batch, config)
    expect(outcomes.map((o) => o.kind)).toEqual(['rejected', 'retry'])
    expect(outcomes[0]).toMatchObject({ reason: 'Amplitude 400: silenced device' })
  })

  it('413: the batch is split until it fits; one event that never fits is rejected', async () => {
    s = await startAmplitudeStandIn({ apiKey: API_KEY, maxEvents: 4 })
    const config = settings({ server_url: s.endpoint })
    const batch = makeBatch(amplitude, config, makeView(14)).slice(0, 10)
    const outcomes = await send(batch, config)
    expect(outcomes).toEqual(batch.map(() => ({ kind: 'delivered' })))
    expect(s.uniqueCount()).toBe(10)
    expect(s.received.map((r) => r.status)).toContain(413)

    const big = makeBatch(amplitude, config, [makeEvent({ blob: 'x'.repeat(1023) })])
    await s.close()
    s = await startAmplitudeStandIn({ apiKey: API_KEY, maxBytes: 500 })
    const [outcome] = await send(big, settings({ server_url: s.endpoint }))
    expect(outcome).toMatchObject({ kind: 'rejected', status: 413 })
  })

  it('5xx is retried, with Retry-After when given', async () => {
    s = await startAmplitudeStandIn({ apiKey: API_KEY })
    s.script.failNext(1, 503, { retryAfter: 2 }).failNext(1, 500)
    const config = settings({ server_url: s.endpoint })
    const batch = makeBatch(amplitude, config, makeView(2))
    expect(await send(batch, config)).toEqual(
      batch.map(() => ({ kind: 'retry', reason: 'HTTP 503', status: 503, afterMs: 2_000 })),
    )
    expect(await send(batch, config)).toEqual(
      batch.map(() => ({ kind: 'retry', reason: 'HTTP 500', status: 500 })),
    )
    expect(await send(batch, config)).toEqual(batch.map(() => ({ kind: 'delivered' })))
  })

  it('throws when the request is aborted because the stand-in hangs', async () => {
    s = await startAmplitudeStandIn({ apiKey: API_KEY })
    s.script.hang()
    const config = settings({ server_url: s.endpoint })
    const batch = makeBatch(amplitude, config, makeView(2))
    await expect(
      amplitude.send(batch, makeContext(config, suite.agent, { timeoutMs: 200 })),
    ).rejects.toThrow()
  })
})
