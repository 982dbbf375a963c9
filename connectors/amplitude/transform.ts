import type { EnrichedEvent } from '../../src/event.ts'
import { group, integerMs, nonEmptyString, VENDOR_MAPPED_FIELDS } from '../common/event-fields.ts'
import { type EventNaming, eventTypeName } from '../common/event-naming.ts'
import { sessionStartMs } from '../common/session-start.ts'

/** The Amplitude HTTP V2 event object (https://amplitude.com/docs/apis/analytics/http-v2). */
export interface AmplitudeEvent {
  event_type: string
  user_id?: string
  device_id?: string
  /** Epoch ms, integer (anything else is a 400). */
  time: number
  insert_id: string
  /** Session start time, epoch ms. */
  session_id?: number
  ip?: string
  platform?: string
  os_name?: string
  os_version?: string
  device_manufacturer?: string
  device_model?: string
  language?: string
  event_properties: Record<string, unknown>
}

export interface TransformOptions {
  event_naming: EventNaming
  min_id_length: number
  forward_client_ip: boolean
}

// https://amplitude.com/docs/apis/analytics/http-v2 ("String character limit"): string values ≤ 1024 chars.
export const MAX_STRING = 1024
// Same page (event_properties): "Object depth may not exceed 40 layers".
export const MAX_DEPTH = 40
// Same page (event_type): names starting with "[Amplitude]" are reserved for Amplitude.
const RESERVED_PREFIX = '[Amplitude]'

// Same page ("Device IDs and User IDs minimum length" → "Invalid IDs"): these values are refused with a 400.
const PLACEHOLDER_IDS = new Set([
  'anonymous',
  'nil',
  'none',
  'null',
  'n/a',
  'na',
  'undefined',
  'unknown',
  '""',
  '00000000-0000-0000-0000-000000000000',
  '{}',
  'lmy47d',
  '0',
  '-1',
])

/** Top-level fields that are mapped elsewhere and not copied into event_properties. */
const NOT_PROPERTIES = new Set<string>([
  ...VENDOR_MAPPED_FIELDS,
  'session_id',
  'view_id',
  'seq',
  'source',
  'session_start',
])

/** An ID Amplitude will accept, or undefined (too short, placeholder, not a string/number). */
export function amplitudeId(value: unknown, minLength: number): string | undefined {
  const id = typeof value === 'number' && Number.isFinite(value) ? String(value) : value
  if (typeof id !== 'string') return undefined
  const trimmed = id.trim()
  if (trimmed.length < minLength || trimmed.length > MAX_STRING) return undefined
  if (PLACEHOLDER_IDS.has(trimmed.toLowerCase())) return undefined
  return trimmed
}

/**
 * The neutral event name (common/event-naming.ts) kept clear of Amplitude's reserved "[Amplitude]" names
 * and cut to Amplitude's string limit.
 */
export function amplitudeEventType(event: EnrichedEvent, naming: EventNaming): string {
  let name = eventTypeName(event, naming)
  if (name.startsWith(RESERVED_PREFIX)) name = `Video ${name}`
  return name.slice(0, MAX_STRING)
}

/** Copies a JSON-like value, cutting strings to 1024 chars and objects deeper than 40 levels. */
export function sanitize(value: unknown, depth = 1): unknown {
  if (typeof value === 'string') return value.length > MAX_STRING ? value.slice(0, MAX_STRING) : value
  if (value === null || typeof value !== 'object') {
    return typeof value === 'number' && !Number.isFinite(value) ? null : value
  }
  if (depth > MAX_DEPTH) return undefined
  if (Array.isArray(value)) return value.map((item) => sanitize(item, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    const clean = sanitize(item, depth + 1)
    if (clean !== undefined) out[key] = clean
  }
  return out
}

function str(value: unknown): string | undefined {
  return nonEmptyString(value)?.slice(0, MAX_STRING)
}

export function toAmplitude(event: EnrichedEvent, options: TransformOptions): AmplitudeEvent {
  const user = group(event, 'user')
  const device = group(event, 'device')

  const properties: Record<string, unknown> = {
    session_id: event.session_id,
    view_id: event.view_id,
    seq: event.seq,
    source: event.source,
  }
  for (const [key, value] of Object.entries(event)) {
    if (NOT_PROPERTIES.has(key) || value === undefined) continue
    properties[key] = value
  }

  const record: AmplitudeEvent = {
    event_type: amplitudeEventType(event, options.event_naming),
    time: integerMs(event.ts_corrected) ?? integerMs(event.ts) ?? Math.round(event.received_at),
    insert_id: event.event_id,
    event_properties: sanitize(properties) as Record<string, unknown>,
  }

  const userId = amplitudeId(user.id, options.min_id_length)
  if (userId) record.user_id = userId
  // Only the viewer's stable pseudonymous id is a device: a session or view id would make each session a
  // new device in Amplitude. An event with neither id is refused before sending (index.ts).
  const deviceId = amplitudeId(user.anonymous_id, options.min_id_length)
  if (deviceId) record.device_id = deviceId

  // session_id is the session's start time in epoch ms, not an identifier (HTTP V2 doc, event keys:
  // "session_id … The start time of the session in milliseconds since epoch"); unknown → no session (-1).
  const sessionStart = sessionStartMs(event)
  if (sessionStart !== undefined) record.session_id = sessionStart

  if (options.forward_client_ip) {
    const ip = str(event.client_ip)
    if (ip) record.ip = ip
  }

  const browser = str(device.browser_name)
  const fields: [keyof AmplitudeEvent, unknown][] = [
    ['platform', browser ? 'Web' : device.os_name],
    ['os_name', device.os_name],
    ['os_version', device.os_version],
    ['device_manufacturer', device.manufacturer],
    ['device_model', device.model],
    ['language', device.language],
  ]
  for (const [field, value] of fields) {
    const text = str(value)
    if (text) (record as unknown as Record<string, unknown>)[field] = text
  }
  return record
}
