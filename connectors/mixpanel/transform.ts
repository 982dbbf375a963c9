import { createHash } from 'node:crypto'
import type { EnrichedEvent } from '../../src/event.ts'
import { eventTimeMs, group, VENDOR_MAPPED_FIELDS } from '../common/event-fields.ts'
import { type EventNaming, eventTypeName } from '../common/event-naming.ts'

/** One event of the /import body (https://developer.mixpanel.com/reference/import-events). */
export interface MixpanelEvent {
  event: string
  properties: {
    /** Epoch milliseconds. */
    time: number
    distinct_id: string
    $insert_id: string
    [property: string]: unknown
  }
}

export interface TransformOptions {
  event_naming: EventNaming
  forward_client_ip: boolean
}

// https://developer.mixpanel.com/reference/import-events ("High-level requirements"): nested objects have
// fewer than 255 keys and at most 3 levels, arrays fewer than 255 elements.
export const MAX_DEPTH = 3
export const MAX_ENTRIES = 254

// Same page (properties.distinct_id): values refused for distinct_id, and for $insert_id too.
export const INVALID_IDS = new Set([
  '00000000-0000-0000-0000-000000000000',
  'anon',
  'anonymous',
  'nil',
  'none',
  'null',
  'n/a',
  'na',
  'undefined',
  'unknown',
  '<nil>',
  '0',
  '-1',
  'true',
  'false',
  '[]',
  '{}',
])
// Same page: "$insert_ids must be ≤ 36 bytes and contain only alphanumeric characters or "-"".
const INSERT_ID = /^[A-Za-z0-9-]{1,36}$/

/** Mapped to Mixpanel's own properties, or not sent. */
const NOT_COPIED = new Set<string>([...VENDOR_MAPPED_FIELDS, 'name'])

function validId(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' && !INVALID_IDS.has(value.toLowerCase())
    ? value
    : undefined
}

/**
 * $insert_id from event_id: a UUID (what the dictionary requires) already fits Mixpanel's rule, so it is
 * sent unchanged; anything else becomes the first 36 hex characters of its SHA-256, as Mixpanel suggests
 * ("Common Issues").
 */
export function insertId(eventId: string): string {
  if (INSERT_ID.test(eventId) && !INVALID_IDS.has(eventId.toLowerCase())) return eventId
  return createHash('sha256').update(eventId).digest('hex').slice(0, 36)
}

/** Copies a JSON value within Mixpanel's shape limits: deeper objects become JSON strings, long lists are cut. */
export function clamp(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'number' && !Number.isFinite(value) ? null : value
  }
  if (Array.isArray(value)) return value.slice(0, MAX_ENTRIES).map((item) => clamp(item, depth))
  if (depth >= MAX_DEPTH) return JSON.stringify(value)
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value).slice(0, MAX_ENTRIES)) {
    if (item !== undefined) out[key] = clamp(item, depth + 1)
  }
  return out
}

export function toMixpanel(event: EnrichedEvent, options: TransformOptions): MixpanelEvent {
  const user = group(event, 'user')
  const device = group(event, 'device')
  const page = group(event, 'page')
  const userId = validId(user.id)
  const deviceId = validId(user.anonymous_id)

  const properties: MixpanelEvent['properties'] = {
    time: Math.round(eventTimeMs(event)),
    // An empty distinct_id is accepted but leaves the event out of user analysis; session_id always exists.
    distinct_id: userId ?? deviceId ?? validId(event.session_id) ?? '',
    $insert_id: insertId(event.event_id),
    // Without `ip`, Mixpanel geolocates the sender (this server); 0 turns geolocation off.
    ip: options.forward_client_ip && event.client_ip ? event.client_ip : 0,
  }
  // Identity merge: $user_id for signed-in viewers, $device_id for the anonymous device.
  if (userId) properties.$user_id = userId
  if (deviceId) properties.$device_id = deviceId
  const defaults: [string, unknown][] = [
    ['$os', device.os_name],
    ['$browser', device.browser_name],
    ['$browser_version', device.browser_version],
    ['$manufacturer', device.manufacturer],
    ['$model', device.model],
    ['$screen_width', device.screen_width],
    ['$screen_height', device.screen_height],
    ['$current_url', page.url],
    ['$referrer', page.referrer],
  ]
  for (const [key, value] of defaults) if (value !== undefined && value !== '') properties[key] = value

  for (const [key, value] of Object.entries(event)) {
    if (NOT_COPIED.has(key) || value === undefined) continue
    properties[key] = clamp(value)
  }
  if (event.type === 'custom' && typeof event.name === 'string') properties.custom_event_name = event.name
  return { event: eventTypeName(event, options.event_naming), properties }
}
