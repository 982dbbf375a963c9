import { describe, expect, it } from 'vitest'
import { type BatchItem, SKIP } from '../../src/worker/connector.ts'
import { makeEvent, makeView } from '../../test/fixtures/events.ts'
import { makeBatch, makeContext, sendToMockOrigin, standInSuite } from '../../test/fixtures/send-context.ts'
import { settingsMaker } from '../../test/fixtures/settings.ts'
import { exampleEvents } from '../../test/helpers/player-events.ts'
import { type SegmentStandIn, startSegmentStandIn } from '../../test/stand-ins/segment.ts'
import segment, { type SegmentSettings, settingsSchema } from './index.ts'
import type { SegmentTrack } from './video-spec.ts'

const WRITE_KEY = 'seg-write-key-0123456789abcdef'

const settings = settingsMaker(settingsSchema, () => ({ write_key: WRITE_KEY }))

/** The dictionary's example of a type, enriched the way ingest would. */
function example(type: string, overrides: Record<string, unknown> = {}) {
  const base = exampleEvents[type]
  if (!base) throw new Error(`no example ${type}`)
  return makeEvent({ ...structuredClone(base), ts_corrected: base.ts, ...overrides })
}

function track(type: string, overrides: Record<string, unknown> = {}, config = settings()): SegmentTrack {
  const record = segment.transform(example(type, overrides), config)
  if (record === SKIP) throw new Error('unexpected SKIP')
  return record
}

describe('segment transform (Video Spec)', () => {
  it('names every dictionary type after the Video Spec, or a documented non-spec name', () => {
    const names = Object.fromEntries(Object.keys(exampleEvents).map((type) => [type, track(type).event]))
    expect(names).toEqual({
      view_start: 'Video Playback Started',
      playing: 'Video Playback Resumed',
      pause: 'Video Playback Paused',
      buffer_start: 'Video Playback Buffer Started',
      buffer_end: 'Video Playback Buffer Completed',
      seek_start: 'Video Playback Seek Started',
      seek_end: 'Video Playback Seek Completed',
      view_end: 'Video Playback Completed',
      playback_start: 'Video Content Started',
      heartbeat: 'Video Content Playing',
      ended: 'Video Content Completed',
      ad_start: 'Video Ad Started',
      ad_complete: 'Video Ad Completed',
      rendition_change: 'Video Quality Updated',
      player_ready: 'Video Player Ready',
      media_request: 'Video Media Request',
      error: 'Video Playback Error',
      milestone: 'Video Content Milestone Reached',
      ad_break_start: 'Video Ad Break Started',
      ad_break_end: 'Video Ad Break Completed',
      ad_skip: 'Video Ad Skipped',
      ad_error: 'Video Ad Error',
      custom: 'share_clicked',
    })
    expect(track('view_end', { view: { end_reason: 'user_exit' } }).event).toBe('Video Playback Exited')
    const interrupted = track('view_end', { view: { end_reason: 'unload' } })
    expect(interrupted.event).toBe('Video Playback Interrupted')
    expect(interrupted.properties.method).toBe('unload')
  })

  it('Video Playback Started carries the Playback Event Object in spec units', () => {
    const event = example('view_start')
    const record = segment.transform(event, settings())
    if (record === SKIP) throw new Error('unexpected SKIP')
    expect(record).toMatchObject({
      type: 'track',
      messageId: event.event_id,
      timestamp: new Date(event.ts).toISOString(),
      userId: 'user-1029',
      anonymousId: 'anon-7c1e52',
      context: {
        library: { name: 'framewire', version: '0.1.0' },
        locale: 'en-GB',
        os: { name: 'macOS', version: '15.1' },
        screen: { width: 1728, height: 1117, density: 2 },
        page: { url: 'https://www.example.com/watch/ep-4711' },
      },
    })
    expect(record.context).not.toHaveProperty('ip')
    expect(record.properties).toMatchObject({
      session_id: event.view_id,
      framewire_session_id: event.session_id,
      content_asset_ids: ['ep-4711'],
      position: 0,
      total_length: 2712,
      video_player: 'hls.js',
      sound: 80,
      full_screen: false,
      livestream: false,
    })
    expect(record.properties).not.toHaveProperty('content_asset_id')
    expect(track('view_start', {}, settings({ forward_client_ip: true })).context.ip).toBe('203.0.113.0')
    expect(track('pause', { player: { muted: true, playhead_ms: 12_400 } }).properties).toMatchObject({
      sound: 0,
      position: 12,
    })
  })

  it('content, ad, seek and quality events carry their spec objects', () => {
    expect(track('heartbeat', { content: exampleEvents.view_start?.content }).properties).toMatchObject({
      asset_id: 'ep-4711',
      title: 'The Long Night',
      program: 'Northern Lights',
      season: '2',
      episode: '5',
      position: 99,
      total_length: 2712,
      metrics: { playing_ms: 8650 },
    })
    const ad = track('ad_start', { content: { id: 'ep-4711', stream_type: 'live' } }).properties
    expect(ad).toMatchObject({
      asset_id: 'ad-551',
      pod_id: 'preroll-0',
      pod_position: 1,
      type: 'pre-roll',
      title: 'Winter Sale',
      publisher: 'Example Shop',
      position: 0,
      total_length: 15,
      content: { asset_id: 'ep-4711', total_length: null, livestream: true },
    })
    expect(track('seek_start').properties.position).toBe(104)
    expect(track('seek_end').properties.position).toBe(600)
    expect(track('rendition_change').properties).toMatchObject({
      bitrate: 4500,
      framerate: 25,
      quality: '1080p',
    })
    expect(track('custom').properties).toMatchObject({ target: 'copy_link', tags: ['drama', 'nordic'] })
  })

  it('skips non-spec types when asked', () => {
    const skip = settings({ non_spec_events: 'skip' })
    for (const type of ['player_ready', 'media_request', 'error', 'milestone', 'ad_break_start', 'ad_skip']) {
      expect(segment.transform(example(type), skip)).toBe(SKIP)
    }
    expect(segment.transform(example('view_start'), skip)).not.toBe(SKIP)
    expect(segment.transform(example('custom'), skip)).not.toBe(SKIP)
  })
})

describe('segment endpoint selection', () => {
  it.each([
    ['us', undefined, 'https://api.segment.io', '/v1/batch'],
    ['eu', undefined, 'https://events.eu1.segmentapis.com', '/v1/batch'],
    ['us', 'https://proxy.example.net/seg/v1/batch', 'https://proxy.example.net', '/seg/v1/batch'],
  ] as const)('region %s, server_url %s → %s', async (region, serverUrl, origin, path) => {
    const config = settings({ region, server_url: serverUrl })
    const outcomes = await sendToMockOrigin(segment, config, [makeEvent()], {
      origin,
      path,
      headers: { authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}` },
      status: 200,
      body: { success: true },
    })
    expect(outcomes).toEqual([{ kind: 'delivered' }])
  })
})

describe('segment send against the stand-in', () => {
  let s: SegmentStandIn
  const suite = standInSuite(() => s)

  const start = async (options: Partial<Parameters<typeof startSegmentStandIn>[0]> = {}) => {
    s = await startSegmentStandIn({ writeKey: WRITE_KEY, ...options })
    return settings({ server_url: s.endpoint })
  }
  const send = (batch: BatchItem<SegmentTrack>[], config: SegmentSettings) =>
    segment.send(batch, makeContext(config, suite.agent))

  it('delivers every example type as spec-conformant track calls; a resend is deduplicated by messageId', async () => {
    const config = await start()
    const batch = makeBatch(segment, config, [
      ...Object.keys(exampleEvents).map((type) => example(type)),
      ...makeView(20),
    ])
    expect(await send(batch, config)).toEqual(batch.map(() => ({ kind: 'delivered' })))
    expect(s.dropped).toEqual([])
    expect(s.specViolations).toEqual([])
    expect(s.accepted.map((a) => a.message.messageId)).toEqual(batch.map((i) => i.event.event_id))

    expect(await send(batch, config)).toEqual(batch.map(() => ({ kind: 'delivered' })))
    expect(s.uniqueCount()).toBe(batch.length)
    expect(s.duplicatesDropped()).toBe(batch.length)
  })

  it('the stand-in flags Video Spec breaches (milliseconds for seconds, a 0–1 volume)', async () => {
    const config = await start()
    const [item] = makeBatch(segment, config, [example('pause')])
    if (!item) throw new Error('no item')
    item.record = {
      ...item.record,
      properties: { ...item.record.properties, position: 758_000.5, sound: 0.8 },
    }
    expect(await send([item], config)).toEqual([{ kind: 'delivered' }])
    expect(s.specViolations).toEqual([
      'Video Playback Paused: position = 758000.5',
      'Video Playback Paused: sound = 0.8',
    ])
  })

  it('an event over 32 KB is rejected before sending; the rest of the batch goes', async () => {
    const config = await start()
    const batch = makeBatch(segment, config, [
      makeEvent(),
      makeEvent({ type: 'custom', name: 'big', data: { blob: 'x'.repeat(40_000) } }),
      makeEvent(),
    ])
    const outcomes = await send(batch, config)
    expect(outcomes.map((o) => o.kind)).toEqual(['delivered', 'rejected', 'delivered'])
    expect(outcomes[1]).toMatchObject({ reason: expect.stringContaining('at most 32000 per event') })
    expect(s.uniqueCount()).toBe(2)
  })

  it('400 "too large": the batch is split until it fits; one event still refused is rejected', async () => {
    const config = await start({ maxBatchBytes: 8_000 })
    const batch = makeBatch(segment, config, makeView(12))
    expect(await send(batch, config)).toEqual(batch.map(() => ({ kind: 'delivered' })))
    expect(s.received.map((r) => r.status)).toContain(400)
    expect(s.uniqueCount()).toBe(12)

    await s.close()
    const tiny = await start({ maxBatchBytes: 500 })
    const [outcome] = await send(makeBatch(segment, tiny, [makeEvent()]), tiny)
    expect(outcome).toMatchObject({
      kind: 'rejected',
      status: 400,
      reason: expect.stringContaining('too large'),
    })
  })

  it('a wrong write key is answered 200 and the events are lost: Segment does not check keys', async () => {
    const config = { ...(await start()), write_key: 'not-the-key' }
    const batch = makeBatch(segment, config, makeView(3))
    expect(await send(batch, config)).toEqual(batch.map(() => ({ kind: 'delivered' })))
    expect(s.accepted).toEqual([])
    expect(s.dropped.map((d) => d.reason)).toEqual([
      'invalid write key',
      'invalid write key',
      'invalid write key',
    ])
  })
})
