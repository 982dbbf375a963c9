import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { type BatchItem, SKIP } from '../../src/worker/connector.ts'
import { kindsAt, transformer } from '../../test/fixtures/connector-results.ts'
import { makeEvent, makeView } from '../../test/fixtures/events.ts'
import { makeBatch, makeContext, sendToMockOrigin, standInSuite } from '../../test/fixtures/send-context.ts'
import { settingsMaker } from '../../test/fixtures/settings.ts'
import { exampleEvents } from '../../test/helpers/player-events.ts'
import { type Ga4StandIn, startGa4StandIn } from '../../test/stand-ins/ga4.ts'
import ga4, { type Ga4Settings, settingsSchema } from './index.ts'
import { clientId, eventName, type Ga4Record, ga4Name, sessionNumber } from './transform.ts'
import { ga4Problems } from './validate.ts'

const MEASUREMENT_ID = 'G-TEST12345'
const API_SECRET = 'ga4-secret-0123456789'
const HOUR = 3_600_000

const settings = settingsMaker(settingsSchema, () => ({
  measurement_id: MEASUREMENT_ID,
  api_secret: API_SECRET,
}))

const transform = transformer(ga4, settings)

/** A view a few minutes old, so it is inside GA4's 72 h window. */
function recentView(n: number, user?: Record<string, unknown>) {
  return makeView(n, { start: Date.now() - 10 * 60_000, ...(user ? { user } : {}) })
}

describe('ga4 transform', () => {
  it('maps a player event to a GA4 event with sessionized params', () => {
    const event = makeEvent({
      type: 'buffer_start',
      buffer: { cause: 'stall', during_ad: false },
      user: { id: 'user-20391', anonymous_id: 'anon-5b1f0c2e-77d1', consent: { analytics: true } },
    })
    const record = ga4.transform(event, settings())
    if (record === SKIP) throw new Error('unexpected SKIP')
    expect(record.event).toMatchObject({
      name: 'video_buffer_start',
      timestamp_micros: (event.ts_corrected as number) * 1000,
      params: {
        session_id: sessionNumber(event),
        engagement_time_msec: 1,
        event_id: event.event_id,
        view_id: event.view_id,
        video_provider: 'hls.js',
        video_title: 'The Long Night',
        video_duration: 2712,
        video_current_time: 6,
        content_id: 'ep-4711',
        buffer_cause: 'stall',
        buffer_during_ad: 'false',
      },
    })
    expect(record.request).toEqual({
      client_id: clientId(event),
      user_id: 'user-20391',
      device: {
        category: 'desktop',
        language: 'en-GB',
        operating_system: 'macOS',
        operating_system_version: '15.3',
        browser: 'Chrome',
        browser_version: '142.0',
      },
    })
  })

  it('builds GA4-shaped client ids and numeric session ids', () => {
    const hashed = clientId(makeEvent({ user: { anonymous_id: 'anon-abc' } }))
    expect(hashed).toMatch(/^[1-9]\d*\.[1-9]\d*$/)
    expect(clientId(makeEvent({ user: { anonymous_id: 'anon-abc' } }))).toBe(hashed)
    expect(clientId(makeEvent({ user: { anonymous_id: '1197596843.1673515099' } }))).toBe(
      '1197596843.1673515099',
    )
    // No anonymous_id: the session id is the source.
    expect(clientId(makeEvent({ user: undefined, session_id: 's-1' }))).not.toBe(
      clientId(makeEvent({ user: undefined, session_id: 's-2' })),
    )
    // 0x019ca9450a00 ms = 2026-03-01T12:00:00Z: a UUIDv7 session id gives the session start in seconds.
    expect(sessionNumber(makeEvent({ session_id: '019ca945-0a00-7abc-8def-0123456789ab' }))).toBe(
      1_772_366_400,
    )
    const hashedSession = sessionNumber(makeEvent({ session_id: 'plain-session' }))
    expect(hashedSession).toBeGreaterThan(0)
    expect(Number.isInteger(hashedSession)).toBe(true)
  })

  it('names events video_<type>, custom events by their name, and never uses reserved names', () => {
    expect(eventName(makeEvent({ type: 'error' }))).toBe('video_error')
    expect(eventName(makeEvent({ type: 'playback_start' }))).toBe('video_playback_start')
    expect(eventName(makeEvent({ type: 'custom', name: 'share.clicked' }))).toBe('share_clicked')
    // Enhanced measurement's web names are not reserved for the Measurement Protocol.
    for (const name of ['click', 'scroll', 'page_view', 'video_start', 'video_progress', 'file_download']) {
      expect(eventName(makeEvent({ type: 'custom', name }))).toBe(name)
    }
  })

  it('keeps two long names apart once cut to 40 characters, with a hash suffix', () => {
    const long = 'player_overlay_interaction_with_the_recommendation_rail'
    const a = ga4Name(`${long}_opened`) ?? ''
    const b = ga4Name(`${long}_closed`) ?? ''
    expect(a).toMatch(/^player_overlay_interaction_with_t_[0-9a-f]{6}$/)
    expect(b).toHaveLength(40)
    expect(a).not.toBe(b)
    expect(ga4Name(`${long}_opened`)).toBe(a)
    expect(ga4Name('x'.repeat(40))).toBe('x'.repeat(40))
    // Params too: two long custom dimensions stay two params.
    const record = transform({ custom: { [`${long}_a`]: 1, [`${long}_b`]: 2 } })
    const params = Object.entries(record.event.params).filter(([name]) => name.startsWith('player_overlay'))
    expect(params.map(([, value]) => value)).toEqual([1, 2])
    expect(ga4Problems(record, settings(), record.event.timestamp_micros / 1000)).toEqual([])
  })

  it('caps params at 25 in priority order and cuts values to 100 characters', () => {
    const custom = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`dim_${i}`, i]))
    const record = transform({
      type: 'error',
      error: { code: 'x', message: 'e'.repeat(500), fatal: true, category: 'technical' },
      custom,
    })
    const names = Object.keys(record.event.params)
    expect(names).toHaveLength(25)
    expect(names.slice(0, 3)).toEqual(['session_id', 'engagement_time_msec', 'event_id'])
    expect(record.event.params.error_message).toHaveLength(100)
    expect(record.event.params.dim_0).toBe(0)
    expect(names).not.toContain('dim_39')
    const ga360 = transform(
      { error: { message: 'e'.repeat(800) } },
      settings({ max_param_value_length: 500 }),
    )
    expect(ga360.event.params.error_message).toHaveLength(500)
  })

  it('uses heartbeat playing time as engagement time, consent as GA4 consent, IP only when asked', () => {
    const heartbeat = transform({
      type: 'heartbeat',
      metrics: { interval_ms: 10_000, playing_ms: 8_650 },
      user: {
        anonymous_id: 'anon-1',
        consent: { analytics: true, advertising: false, personalization: true },
      },
    })
    expect(heartbeat.event.params.engagement_time_msec).toBe(8_650)
    expect(heartbeat.request.consent).toEqual({ ad_user_data: 'DENIED', ad_personalization: 'GRANTED' })
    expect(heartbeat.request.ip_override).toBeUndefined()
    expect(transform({}, settings({ forward_client_ip: true })).request.ip_override).toBe('203.0.113.0')
  })
})

describe('ga4 validation (what GA4 would drop)', () => {
  const now = Date.now()
  const record = (overrides: Record<string, unknown> = {}) =>
    transform({ ts: now - 60_000, ts_corrected: now - 60_000, ...overrides })

  it('accepts what the transform produces', () => {
    for (const event of recentView(30)) {
      const r = ga4.transform(event, settings())
      if (r === SKIP) continue
      expect(ga4Problems(r, settings(), now)).toEqual([])
    }
  })

  it('flags reserved names, old timestamps, too many params, long values and bad client ids', () => {
    expect(ga4Problems(record({ type: 'custom', name: 'session_start' }), settings(), now)).toEqual([
      'event name "session_start" is reserved',
    ])
    expect(ga4Problems(record({ type: 'custom', name: 'notification_send' }), settings(), now)).toHaveLength(
      1,
    )
    expect(ga4Problems(record({ type: 'custom', name: 'scroll' }), settings(), now)).toEqual([])
    expect(ga4Problems(record({ ts_corrected: now - 73 * HOUR }), settings(), now)).toEqual([
      'event is older than 72 h: GA4 would re-date or drop it',
    ])
    const broken = record()
    broken.event.params.ga_thing = 'x'.repeat(101)
    broken.request.client_id = 'anon-1'
    for (let i = 0; i < 30; i++) broken.event.params[`p${i}`] = i
    expect(ga4Problems(broken, settings(), now)).toEqual([
      expect.stringMatching(/params, GA4 keeps at most 25$/),
      'param name "ga_thing" is reserved',
      'param "ga_thing" is longer than 100 characters',
      'client_id must be two positive numbers joined by a period',
    ])
  })
})

describe('ga4 endpoint selection', () => {
  it.each([
    ['global', undefined, 'https://www.google-analytics.com', '/mp/collect'],
    ['eu', undefined, 'https://region1.google-analytics.com', '/mp/collect'],
    ['eu', 'https://proxy.example.net/ga/', 'https://proxy.example.net', '/ga/mp/collect'],
  ] as const)('region %s, server_url %s → %s', async (region, serverUrl, origin, path) => {
    const config = settings({ region, server_url: serverUrl })
    const outcomes = await sendToMockOrigin(ga4, config, recentView(2), {
      origin,
      path: `${path}?measurement_id=${MEASUREMENT_ID}&api_secret=${API_SECRET}`,
      status: 204,
    })
    expect(outcomes).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }])
  })
})

describe('ga4 send against the stand-in', () => {
  let s: Ga4StandIn
  const suite = standInSuite(() => s)

  const start = async () => {
    s = await startGa4StandIn({ measurementId: MEASUREMENT_ID, apiSecret: API_SECRET })
    return settings({ server_url: s.endpoint })
  }
  const send = (batch: BatchItem<Ga4Record>[], config: Ga4Settings) =>
    ga4.send(batch, makeContext(config, suite.agent))

  it('delivers a view: one request per client, every event kept as sent', async () => {
    const config = await start()
    const viewA = recentView(12, { anonymous_id: 'anon-viewer-a' })
    const viewB = recentView(12, { id: 'user-b-1', anonymous_id: 'anon-viewer-b' })
    const batch = makeBatch(ga4, config, [...viewA, ...viewB]).slice(0, 25)
    expect(await send(batch, config)).toEqual(batch.map(() => ({ kind: 'delivered' })))
    expect(s.dropped).toEqual([])
    expect(s.kept.map((e) => e.params.event_id).sort()).toEqual(batch.map((i) => i.event.event_id).sort())
    // Events of different clients never share a request: client_id/user_id are request-level.
    expect(s.received).toHaveLength(2)
    const ofB = s.kept.filter((e) => e.user_id === 'user-b-1')
    expect(ofB.length).toBe(batch.filter((i) => i.record.request.user_id === 'user-b-1').length)
    expect(new Set(ofB.map((e) => e.client_id))).toEqual(new Set([clientId(viewB[0] as never)]))
    expect(s.kept[0]?.body.device).toMatchObject({ browser: 'Chrome' })
  })

  it('every data-dictionary example is kept by GA4 as sent', async () => {
    const config = await start()
    const now = Date.now()
    const examples = Object.values(exampleEvents).map((e, i) =>
      makeEvent({ ...structuredClone(e), ts: now - i, ts_corrected: now - i }),
    )
    const outcomes = await send(makeBatch(ga4, config, examples), config)
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true)
    expect(s.dropped).toEqual([])
    expect(s.kept).toHaveLength(examples.length)
  })

  it('rejects what GA4 would drop and delivers the rest of the batch', async () => {
    const config = await start()
    const now = Date.now()
    const batch = makeBatch(ga4, config, [
      ...recentView(3),
      makeEvent({ type: 'custom', name: 'session_start', ts: now, ts_corrected: now }),
      makeEvent({ ts: now - 80 * HOUR, ts_corrected: now - 80 * HOUR }),
    ])
    const outcomes = await send(batch, config)
    expect(outcomes.map((o) => o.kind)).toEqual(kindsAt(5, { 3: 'rejected', 4: 'rejected' }))
    expect(outcomes[3]).toMatchObject({
      reason: 'GA4 would drop this event: event name "session_start" is reserved',
    })
    expect(outcomes[4]).toMatchObject({ reason: expect.stringContaining('older than 72 h') })
    expect(s.kept).toHaveLength(3)
    expect(s.dropped).toEqual([])
  })

  it('custom events named like enhanced-measurement events (click, video_start) are kept by GA4', async () => {
    const config = await start()
    const now = Date.now()
    const names = ['click', 'scroll', 'video_start']
    const batch = makeBatch(
      ga4,
      config,
      names.map((name) => makeEvent({ type: 'custom', name, ts: now, ts_corrected: now })),
    )
    expect(await send(batch, config)).toEqual(batch.map(() => ({ kind: 'delivered' })))
    expect(s.kept.map((e) => e.name)).toEqual(names)
    expect(s.dropped).toEqual([])
  })

  it('the stand-in, like GA4, answers 204 to a payload it drops: why the connector validates first', async () => {
    // Loosened limits make the connector send an event GA4 drops; the answer is still a 2xx.
    const config = { ...(await start()), max_event_age_hours: 1000 }
    const old = Date.now() - 100 * HOUR
    const batch = makeBatch(ga4, config, [makeEvent({ ts: old, ts_corrected: old })])
    expect(await send(batch, config)).toEqual([{ kind: 'delivered' }])
    expect(s.received[0]?.status).toBe(204)
    expect(s.kept).toEqual([])
    expect(s.dropped[0]?.reasons).toEqual([
      'Event at index: [0] has a timestamp more than 72 hours in the past.',
    ])

    const wrongSecret = { ...config, api_secret: 'not-the-secret' }
    await send(makeBatch(ga4, wrongSecret, recentView(1)), wrongSecret)
    expect(s.dropped[1]?.reasons).toEqual(['invalid api_secret'])
  })

  it('the validation server reports nothing for connector output and explains a broken body', async () => {
    const config = await start()
    const batch = makeBatch(ga4, config, recentView(3))
    const body = JSON.stringify({ ...batch[0]?.record.request, events: batch.map((i) => i.record.event) })
    const post = async (text: string) => {
      const res = await request(`${s.url}/debug/mp/collect?measurement_id=${MEASUREMENT_ID}&api_secret=x`, {
        method: 'POST',
        body: text,
        dispatcher: suite.agent,
      })
      expect(res.statusCode).toBe(200)
      return ((await res.body.json()) as { validationMessages: { validationCode: string }[] })
        .validationMessages
    }
    expect(await post(body)).toEqual([])
    const broken = await post(
      JSON.stringify({ client_id: 'abc', events: [{ name: '_bad', params: { gtag_x: 1 } }] }),
    )
    expect(broken.map((m) => m.validationCode)).toEqual(['VALUE_INVALID', 'NAME_INVALID'])
    expect(s.kept).toEqual([])
  })

  it('retries 429 and 5xx (Google did not take the request), rejects other non-2xx without retrying', async () => {
    const config = await start()
    s.script.failNext(1, 429, { retryAfter: 4 }).failNext(1, 500).failNext(1, 400, { body: 'Bad Request' })
    const batch = makeBatch(ga4, config, recentView(2))
    expect(await send(batch, config)).toEqual(
      batch.map(() => ({
        kind: 'retry',
        reason: 'GA4 HTTP 429: not taken, retried',
        status: 429,
        afterMs: 4000,
      })),
    )
    expect((await send(batch, config)).map((o) => o.kind)).toEqual(['retry', 'retry'])
    expect(await send(batch, config)).toEqual(
      batch.map(() => ({
        kind: 'rejected',
        reason: 'GA4 HTTP 400 (not retried, as GA4 advises)',
        status: 400,
        body: 'Bad Request',
      })),
    )
    expect(s.kept).toEqual([])
    expect(await send(batch, config)).toEqual(batch.map(() => ({ kind: 'delivered' })))
    expect(s.duplicateCount()).toBe(0)
  })

  it('a network error retries only its own request; the other requests of the batch are delivered', async () => {
    const config = await start()
    const twoClients = makeBatch(ga4, config, [
      ...recentView(2, { anonymous_id: 'anon-1' }),
      ...recentView(2, { anonymous_id: 'anon-2' }),
    ])
    s.script.resetNext(1)
    const outcomes = await send(twoClients, config)
    expect(outcomes.filter((o) => o.kind === 'delivered')).toHaveLength(2)
    expect(outcomes.filter((o) => o.kind === 'retry')).toHaveLength(2)
    const first = outcomes[0]?.kind
    expect(outcomes[1]?.kind).toBe(first)
    expect(s.kept).toHaveLength(2)
  })

  it('a request that hangs until the deadline is retried', async () => {
    const config = await start()
    s.script.hang()
    const batch = makeBatch(ga4, config, recentView(2))
    const outcomes = await ga4.send(batch, makeContext(config, suite.agent, { timeoutMs: 200 }))
    expect(outcomes.every((o) => o.kind === 'retry')).toBe(true)
  })
})
