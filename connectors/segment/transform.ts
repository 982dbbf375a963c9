import type { EnrichedEvent } from '../../src/event.ts'
import { mappingOf, type SegmentTrack, videoProperties } from './video-spec.ts'

export interface TransformOptions {
  non_spec_events: 'track' | 'skip'
  forward_client_ip: boolean
}

// Framewire identifies itself as the sending library (https://segment.com/docs/connections/spec/common/#context).
const LIBRARY = { name: 'framewire', version: '0.1.0' }

function group(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

function compact(fields: Record<string, unknown>): Record<string, unknown> | undefined {
  const out = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined))
  return Object.keys(out).length > 0 ? out : undefined
}

/** The Segment Spec's common `context` object, from the dictionary's device and page groups. */
function context(event: EnrichedEvent, options: TransformOptions): Record<string, unknown> {
  const device = group(event.device)
  const page = group(event.page)
  const fields: Record<string, unknown> = {
    library: LIBRARY,
    userAgent: str(event.user_agent),
    locale: str(device.language),
    ip: options.forward_client_ip ? str(event.client_ip) : undefined,
    device: compact({ type: device.type, manufacturer: device.manufacturer, model: device.model }),
    os: compact({ name: device.os_name, version: device.os_version }),
    screen: compact({
      width: device.screen_width,
      height: device.screen_height,
      density: device.pixel_ratio,
    }),
    page: compact({ url: page.url, referrer: page.referrer, title: page.title }),
  }
  return compact(fields) ?? {}
}

/** A Segment `track` call, or undefined when the type is not in the Video Spec and those are skipped. */
export function toSegment(event: EnrichedEvent, options: TransformOptions): SegmentTrack | undefined {
  const mapping = mappingOf(event)
  if (mapping?.extra && options.non_spec_events === 'skip') return undefined
  const user = group(event.user)
  const ms = typeof event.ts_corrected === 'number' ? event.ts_corrected : event.ts
  const track: SegmentTrack = {
    type: 'track',
    // The custom event keeps its app-given name and data.
    event: mapping?.name ?? String(event.name),
    messageId: event.event_id,
    timestamp: new Date(Math.round(ms)).toISOString(),
    properties: mapping
      ? videoProperties(event, mapping)
      : {
          ...group(event.data),
          view_id: event.view_id,
          framewire_session_id: event.session_id,
          seq: event.seq,
        },
    context: context(event, options),
  }
  const userId = str(user.id)
  if (userId) track.userId = userId
  // Segment needs userId or anonymousId; session_id always exists.
  track.anonymousId = str(user.anonymous_id) ?? event.session_id
  return track
}
