import type { EnrichedEvent } from '../../src/event.ts'
import { eventTimeMs, group, nonEmptyString as str } from '../common/event-fields.ts'
import { mappingOf, type SegmentTrack, videoProperties } from './video-spec.ts'

export interface TransformOptions {
  non_spec_events: 'track' | 'skip'
  forward_client_ip: boolean
}

// Framewire identifies itself as the sending library (https://segment.com/docs/connections/spec/common/#context).
const LIBRARY = { name: 'framewire', version: '0.1.0' }

function compact(fields: Record<string, unknown>): Record<string, unknown> | undefined {
  const out = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined))
  return Object.keys(out).length > 0 ? out : undefined
}

/** The Segment Spec's common `context` object, from the dictionary's device and page groups. */
function context(event: EnrichedEvent, options: TransformOptions): Record<string, unknown> {
  const device = group(event, 'device')
  const page = group(event, 'page')
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
  const user = group(event, 'user')
  const track: SegmentTrack = {
    type: 'track',
    // The custom event keeps its app-given name and data.
    event: mapping?.name ?? String(event.name),
    messageId: event.event_id,
    timestamp: new Date(Math.round(eventTimeMs(event))).toISOString(),
    properties: mapping
      ? videoProperties(event, mapping)
      : {
          ...group(event, 'data'),
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
