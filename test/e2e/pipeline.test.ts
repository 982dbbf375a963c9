import { createHmac, randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { FramewireConfig } from '../../src/config/types.ts'
import type { PlayerEvent } from '../../src/event.ts'
import { dictionary } from '../../src/pipeline/dictionary.ts'
import { viewHash } from '../../src/pipeline/sampling.ts'
import { startPipeline, testConfig, WRITE_KEY } from '../helpers/pipeline.ts'
import { envelope, exampleEvents, playerEvent } from '../helpers/player-events.ts'
import { startWebhookStandIn, type WebhookStandIn } from '../stand-ins/webhook.ts'
import { postViews, until } from './harness.ts'

/**
 * Two connectors on the same events, through the real ingest and Kafka:
 *   - cdn-partner: QoS data only (segments: [qos]) of live streams, without seek buffering; essential, so it
 *     also gets viewers who refused analytics consent (there is no user data in QoS anyway);
 *   - analytics: half the views (sampled by view), hashed user ids, a quartile renamed, a template, and a
 *     generous cap shared through Redis.
 */

const SALT = 'e2e-user-id-salt-0123456789'
const LIVE = ['live', 'low_latency_live']
const QOS_TYPES = new Set([...dictionary().eventSegment].filter(([, s]) => s === 'qos').map(([t]) => t))
const QOS_KEYS = new Set([
  ...dictionary().commonFields,
  ...dictionary().serverFields,
  'player',
  'device',
  'network',
  'cdn',
])
const IDENTITY = ['event_id', 'type', 'ts', 'session_id', 'view_id', 'seq']

let cdn: WebhookStandIn
let analytics: WebhookStandIn
let config: FramewireConfig
let pipeline: Awaited<ReturnType<typeof startPipeline>>
let analyticsDelivered = 0

beforeAll(async () => {
  ;[cdn, analytics] = await Promise.all([startWebhookStandIn(), startWebhookStandIn()])
  config = testConfig(
    `
connectors:
  - name: cdn-partner
    type: webhook
    settings: { url: ${cdn.endpoint} }
    essential: true
    segments: [qos]
    filter:
      and:
        - { field: content.stream_type, in: [live, low_latency_live] }
        - not: { field: buffer.cause, eq: seek }
  - name: analytics
    type: webhook
    settings: { url: ${analytics.endpoint} }
    sampling: { rate: 0.5 }
    privacy:
      user_ids: hash
      user_id_salt: \${USER_ID_SALT}
    mapping:
      - rename_type: { from: milestone, to: First Quartile }
        when: { field: milestone.percent, eq: 25 }
      - template: { field: custom.title_line, template: '{content.title} ({content.id})' }
    cap: { events_per_second: 100000, daily_budget: 100000000, action: delay }
`,
    { USER_ID_SALT: SALT },
  )
  pipeline = await startPipeline(config, 'all')
})

afterAll(async () => {
  await pipeline?.stop()
  await Promise.all([cdn?.close(), analytics?.close()])
})

/** The context a player sends with every event of a view (the dictionary's view_start example). */
const { player, device, network, cdn: cdnGroup, page } = exampleEvents.view_start as Record<string, unknown>

/** A view with every context group, QoS and business events, a seek and two milestones. */
function richView(
  streamType: string,
  analyticsConsent: boolean,
  viewId: string = randomUUID(),
): PlayerEvent[] {
  const session_id = randomUUID()
  const n = Number.parseInt(viewId.slice(0, 6), 16)
  const context = {
    player,
    device,
    network,
    cdn: cdnGroup,
    page,
    content: { id: `ep-${n}`, title: `Episode ${n}`, stream_type: streamType, stream_format: 'hls' },
    user: { id: `user-${n}`, anonymous_id: `anon-${n}`, consent: { analytics: analyticsConsent } },
    custom: { tier: 'premium' },
  }
  const steps: [string, Record<string, unknown>][] = [
    ['view_start', {}],
    ['player_ready', {}],
    ['playback_start', {}],
    ['buffer_start', { buffer: { cause: 'stall', during_ad: false } }],
    ['buffer_end', { buffer: { cause: 'stall', during_ad: false, duration_ms: 800 } }],
    ['buffer_start', { buffer: { cause: 'seek', during_ad: false } }],
    ['heartbeat', {}],
    ['rendition_change', {}],
    ['milestone', { milestone: { kind: 'percent', percent: 25, position_ms: 60_000 } }],
    ['milestone', { milestone: { kind: 'percent', percent: 50, position_ms: 120_000 } }],
    ['error', {}],
    ['pause', {}],
    ['view_end', {}],
  ]
  const start = Date.now() - 60_000
  return steps.map(([type, fields], seq) =>
    playerEvent(type, { ...context, ...fields, view_id: viewId, session_id, seq, ts: start + seq * 1000 }),
  )
}

async function post(events: PlayerEvent[]) {
  const res = await request(`${pipeline.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}` },
    body: JSON.stringify(envelope(events)),
  })
  const body = (await res.body.json()) as { accepted: number; rejected: unknown[] }
  expect(res.statusCode).toBe(202)
  expect(body.rejected).toEqual([])
  expect(body.accepted).toBe(events.length)
}

const hmac = (id: string) => createHmac('sha256', SALT).update(id).digest('hex')
const sampledIn = (event: PlayerEvent) => viewHash(event.view_id) < 0.5
const g = (event: PlayerEvent, group: string) => event[group] as Record<string, unknown> | undefined

describe('connector pipelines through the real ingest and Kafka', () => {
  it('gives each connector exactly its events, with exactly its fields', async () => {
    let refusedView = randomUUID()
    while (viewHash(refusedView) >= 0.5) refusedView = randomUUID()
    const rich = [
      ...Array.from({ length: 40 }, (_, i) =>
        richView(i % 2 === 0 ? (LIVE[i % 4 === 0 ? 0 : 1] as string) : 'vod', true),
      ),
      // Sampled in, live, but without analytics consent.
      richView('live', false, refusedView),
    ].flat()
    for (let i = 0; i < rich.length; i += 25) await post(rich.slice(i, i + 25))
    const bulk = await postViews(pipeline.url, 100)
    const sent = [...rich, ...bulk]

    const consented = (e: PlayerEvent) => {
      const consent = g(e, 'user')?.consent as { analytics?: boolean } | undefined
      return consent === undefined || consent.analytics === true
    }
    const forCdn = sent.filter(
      (e) =>
        QOS_TYPES.has(e.type) &&
        LIVE.includes(g(e, 'content')?.stream_type as string) &&
        g(e, 'buffer')?.cause !== 'seek',
    )
    const forAnalytics = sent.filter((e) => sampledIn(e) && consented(e))
    expect(forCdn.length).toBeGreaterThan(50)
    expect(forCdn.some((e) => e.view_id === refusedView)).toBe(true)
    expect(forAnalytics.length).toBeGreaterThan(200)
    expect(forAnalytics.length).toBeLessThan(sent.length - 200)

    await until('cdn-partner deliveries', () => cdn.uniqueCount() >= forCdn.length)
    await until('analytics deliveries', () => analytics.uniqueCount() >= forAnalytics.length)
    // Anything beyond the expected events would arrive within this grace period.
    await new Promise((r) => setTimeout(r, 1500))

    expect(new Set(cdn.events.map((e) => e.event_id))).toEqual(new Set(forCdn.map((e) => e.event_id)))
    expect(new Set(analytics.events.map((e) => e.event_id))).toEqual(
      new Set(forAnalytics.map((e) => e.event_id)),
    )
    expect([cdn.duplicateCount(), analytics.duplicateCount()]).toEqual([0, 0])

    // cdn-partner: QoS fields only, the client address anonymized to its /24.
    const byId = new Map(sent.map((e) => [e.event_id, e]))
    for (const { event } of cdn.events) {
      const original = byId.get(event.event_id as string) as PlayerEvent
      for (const key of Object.keys(event))
        expect(QOS_KEYS.has(key) || (dictionary().payloadKeys.get(original.type) ?? []).includes(key)).toBe(
          true,
        )
      for (const key of ['user', 'content', 'page', 'custom']) expect(event).not.toHaveProperty(key)
      expect(event.client_ip).toBe('127.0.0.0')
      for (const key of [...IDENTITY, 'player', 'device', 'network', 'cdn'])
        expect(event[key]).toEqual(original[key])
      for (const key of dictionary().payloadKeys.get(original.type) ?? [])
        expect(event[key]).toEqual(original[key])
    }

    // analytics: whole views in or out, ids hashed, the quartile renamed, the template rendered.
    const perView = new Map<string, number>()
    for (const { event } of analytics.events)
      perView.set(event.view_id as string, (perView.get(event.view_id as string) ?? 0) + 1)
    for (const [view, count] of perView) {
      expect(viewHash(view)).toBeLessThan(0.5)
      expect(count).toBe(sent.filter((e) => e.view_id === view).length)
    }
    expect(perView.has(refusedView)).toBe(false)
    for (const { event } of analytics.events) {
      const original = byId.get(event.event_id as string) as PlayerEvent
      expect(event.client_ip).toBe('127.0.0.0')
      const user = g(original, 'user')
      if (user) {
        // Each id the player sent is hashed; one it did not send stays absent (toEqual ignores undefined).
        const hash = (id: unknown) => (typeof id === 'string' ? hmac(id) : undefined)
        expect(event.user).toEqual({ ...user, id: hash(user.id), anonymous_id: hash(user.anonymous_id) })
      }
      const content = g(original, 'content')
      const custom = event.custom as Record<string, unknown> | undefined
      expect(custom?.title_line).toBe(content ? `${content.title} (${content.id})` : ' ()')
      const quartile = original.type === 'milestone' && (g(original, 'milestone')?.percent as number) === 25
      expect(event.type).toBe(quartile ? 'First Quartile' : original.type)
      for (const key of ['player', 'content', 'page', 'device']) expect(event[key]).toEqual(original[key])
    }
    expect(analytics.events.filter((e) => e.event.type === 'First Quartile').length).toBeGreaterThan(5)
    analyticsDelivered = analytics.uniqueCount()
  }, 180_000)

  it('shares the analytics cap through Redis and exposes the pipeline metrics', async () => {
    const redis = new Redis(inject('redisUrl'))
    try {
      // Tokens are taken in chunks of up to 100: the day's counter covers every delivered event, plus
      // the unspent rest of a few chunks.
      const day = new Date().toISOString().slice(0, 10)
      const used = Number(await redis.get(`{${config.kafka.group_prefix}cap:analytics}:day:${day}`))
      expect(used).toBeGreaterThanOrEqual(analyticsDelivered)
      expect(used).toBeLessThan(analyticsDelivered + 500)
    } finally {
      redis.disconnect()
    }
    const text = await (await request(`${pipeline.url}/metrics`)).body.text()
    const filtered = (connector: string, stage: string) =>
      Number(
        new RegExp(
          `framewire_connector_filtered_total\\{connector="${connector}",stage="${stage}"\\} (\\d+)`,
        ).exec(text)?.[1] ?? 0,
      )
    expect(filtered('analytics', 'sampling')).toBeGreaterThan(100)
    expect(filtered('analytics', 'consent')).toBeGreaterThan(0)
    expect(filtered('cdn-partner', 'filter')).toBeGreaterThan(0)
    expect(filtered('cdn-partner', 'consent')).toBe(0)
  })
})
