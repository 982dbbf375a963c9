import type { EnrichedEvent } from '../../src/event.ts'
import { group, PAYLOAD_OBJECTS, msToSeconds as seconds } from '../common/event-fields.ts'
import { videoTitle } from '../common/event-naming.ts'

/**
 * Data-dictionary event → Segment `track` call named and shaped after the Segment Video Spec
 * (https://segment.com/docs/connections/spec/video/): playback events carry the Playback Event Object,
 * content events the Content Event Object, ad events the Ad Event Object, with the spec's property names and
 * units (seconds, kbps, a 0–100 sound level). Types the spec has no event for get a documented
 * "Video …" name of the same style (`kind: 'extra'`), which the connector can skip.
 */

export interface SegmentTrack {
  type: 'track'
  event: string
  messageId: string
  /** ISO 8601. */
  timestamp: string
  userId?: string
  anonymousId?: string
  properties: Record<string, unknown>
  context: Record<string, unknown>
}

type Shape = 'playback' | 'content' | 'ad' | 'quality'

interface Mapping {
  name: string
  shape: Shape
  /** Not an event of the Video Spec. */
  extra?: true
}

export const SPEC_EVENTS: Record<string, Mapping> = {
  view_start: { name: 'Video Playback Started', shape: 'playback' },
  playing: { name: 'Video Playback Resumed', shape: 'playback' },
  pause: { name: 'Video Playback Paused', shape: 'playback' },
  buffer_start: { name: 'Video Playback Buffer Started', shape: 'playback' },
  buffer_end: { name: 'Video Playback Buffer Completed', shape: 'playback' },
  seek_start: { name: 'Video Playback Seek Started', shape: 'playback' },
  seek_end: { name: 'Video Playback Seek Completed', shape: 'playback' },
  playback_start: { name: 'Video Content Started', shape: 'content' },
  heartbeat: { name: 'Video Content Playing', shape: 'content' },
  ended: { name: 'Video Content Completed', shape: 'content' },
  ad_start: { name: 'Video Ad Started', shape: 'ad' },
  ad_complete: { name: 'Video Ad Completed', shape: 'ad' },
  rendition_change: { name: 'Video Quality Updated', shape: 'quality' },
  player_ready: { name: 'Video Player Ready', shape: 'playback', extra: true },
  media_request: { name: 'Video Media Request', shape: 'playback', extra: true },
  error: { name: 'Video Playback Error', shape: 'playback', extra: true },
  milestone: { name: 'Video Content Milestone Reached', shape: 'content', extra: true },
  ad_break_start: { name: 'Video Ad Break Started', shape: 'ad', extra: true },
  ad_break_end: { name: 'Video Ad Break Completed', shape: 'ad', extra: true },
  ad_skip: { name: 'Video Ad Skipped', shape: 'ad', extra: true },
  ad_error: { name: 'Video Ad Error', shape: 'ad', extra: true },
}

/**
 * view_end by `view.end_reason`: the content ended → Playback Completed; the viewer left or loaded other
 * content → Playback Exited ("navigates away"); anything else stopped it unintentionally → Playback
 * Interrupted, with the reason as the spec's `method`.
 */
function viewEnd(event: EnrichedEvent): Mapping {
  const reason = group(event, 'view').end_reason
  if (reason === 'ended') return { name: 'Video Playback Completed', shape: 'playback' }
  if (reason === 'user_exit' || reason === 'new_content')
    return { name: 'Video Playback Exited', shape: 'playback' }
  return { name: 'Video Playback Interrupted', shape: 'playback' }
}

/** The Segment event for a type, or undefined for the `custom` event (named by the app). */
export function mappingOf(event: EnrichedEvent): Mapping | undefined {
  if (event.type === 'custom') return undefined
  if (event.type === 'view_end') return viewEnd(event)
  const known = SPEC_EVENTS[event.type]
  if (known) return known
  // A type added to the dictionary later: same naming style, never silently lost.
  return { name: videoTitle(event.type), shape: 'playback', extra: true }
}

const AD_TYPES: Record<string, string> = { pre: 'pre-roll', mid: 'mid-roll', post: 'post-roll' }

function livestream(content: Record<string, unknown>): boolean | undefined {
  const type = content.stream_type
  return typeof type === 'string' ? type !== 'vod' : undefined
}

/** The spec's total_length: seconds, null for live streams. */
function totalLength(content: Record<string, unknown>): number | null | undefined {
  return livestream(content) ? null : seconds(content.duration_ms)
}

/** Playhead in seconds; seeks report where they start from and land. */
function position(event: EnrichedEvent): number | undefined {
  const seek = group(event, 'seek')
  if (event.type === 'seek_start') return seconds(seek.from_ms) ?? seconds(group(event, 'player').playhead_ms)
  if (event.type === 'seek_end') return seconds(seek.to_ms)
  return seconds(group(event, 'player').playhead_ms)
}

function sound(player: Record<string, unknown>): number | undefined {
  if (player.muted === true) return 0
  return typeof player.volume === 'number' ? Math.round(player.volume * 100) : undefined
}

/** Drops undefined values, so absent facts are absent rather than null. */
function defined(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined))
}

function playbackObject(event: EnrichedEvent, mapping: Mapping): Record<string, unknown> {
  const player = group(event, 'player')
  const content = group(event, 'content')
  const ad = group(event, 'ad')
  const adBreak = group(event, 'ad_break')
  const started = mapping.name === 'Video Playback Started'
  const contentId = typeof content.id === 'string' ? content.id : undefined
  return defined({
    session_id: event.view_id,
    // "For Video Playback Started events only, you should send the plural form".
    content_asset_id: started ? undefined : contentId,
    content_asset_ids: started && contentId ? [contentId] : undefined,
    ad_asset_id: ad.id,
    ad_pod_id: adBreak.id,
    ad_type: AD_TYPES[String(adBreak.position)],
    position: position(event),
    total_length: totalLength(content),
    bitrate: player.bitrate_kbps,
    video_player: player.name,
    sound: sound(player),
    full_screen: player.fullscreen,
    livestream: livestream(content),
    method: mapping.name === 'Video Playback Interrupted' ? group(event, 'view').end_reason : undefined,
  })
}

function contentObject(event: EnrichedEvent): Record<string, unknown> {
  const content = group(event, 'content')
  const player = group(event, 'player')
  const num = (value: unknown) => (typeof value === 'number' ? String(value) : undefined)
  return defined({
    session_id: event.view_id,
    asset_id: content.id,
    title: content.title,
    program: content.series,
    season: num(content.season),
    episode: num(content.episode),
    genre: content.genre,
    publisher: content.publisher,
    // Completed: "position and total_length are equal".
    position:
      event.type === 'ended' ? (position(event) ?? totalLength(content) ?? undefined) : position(event),
    total_length: totalLength(content),
    livestream: livestream(content),
    bitrate: player.bitrate_kbps,
  })
}

function adObject(event: EnrichedEvent): Record<string, unknown> {
  const ad = group(event, 'ad')
  const adBreak = group(event, 'ad_break')
  const isBreak = event.type.startsWith('ad_break')
  const length = seconds(isBreak ? adBreak.duration_ms : ad.duration_ms)
  return defined({
    session_id: event.view_id,
    asset_id: ad.id,
    pod_id: adBreak.id,
    pod_position: ad.position_in_break,
    pod_length: adBreak.ad_count,
    type: AD_TYPES[String(adBreak.position)],
    title: ad.title,
    publisher: ad.advertiser,
    position: event.type === 'ad_start' ? 0 : event.type === 'ad_complete' ? length : seconds(ad.played_ms),
    total_length: length,
    // "you may need to send your content properties also in all your ad events under properties.content".
    content: Object.keys(group(event, 'content')).length > 0 ? contentObject(event) : undefined,
  })
}

/** "Video Quality Updated" properties: bitrate, framerate, startupTime, droppedFrames. */
function qualityObject(event: EnrichedEvent): Record<string, unknown> {
  const rendition = group(event, 'rendition')
  const height = rendition.height
  return defined({
    session_id: event.view_id,
    bitrate: rendition.bitrate_kbps,
    framerate: rendition.framerate,
    quality: rendition.name ?? (typeof height === 'number' ? `${height}p` : undefined),
    position: position(event),
  })
}

/** The dictionary's own payload objects and ids, kept next to the spec properties. */
const EXTRAS = [...PAYLOAD_OBJECTS, 'custom'] as const

export function videoProperties(event: EnrichedEvent, mapping: Mapping): Record<string, unknown> {
  const spec =
    mapping.shape === 'content'
      ? contentObject(event)
      : mapping.shape === 'ad'
        ? adObject(event)
        : mapping.shape === 'quality'
          ? qualityObject(event)
          : playbackObject(event, mapping)
  const extras: Record<string, unknown> = {
    view_id: event.view_id,
    framewire_session_id: event.session_id,
    seq: event.seq,
  }
  for (const key of EXTRAS) if (event[key] !== undefined) extras[key] = event[key]
  return { ...extras, ...spec }
}
