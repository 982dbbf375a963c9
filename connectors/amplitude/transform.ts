import type { EnrichedEvent } from '../../src/event.ts'

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
  event_naming: 'title' | 'raw'
  min_id_length: number
  forward_client_ip: boolean
}

// https://amplitude.com/docs/apis/analytics/http-v2 ("String character limit"): string values ≤ 1024 chars.
export const MAX_STRING = 1024
// Same page (event_properties): "Object depth may not exceed 40 layers".
export const MAX_DEPTH = 40

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
const NOT_PROPERTIES = new Set([
  'event_id',
  'type',
  'ts',
  'ts_corrected',
  'received_at',
  'session_id',
  'view_id',
  'seq',
  'source',
  'ingest_node',
  'client_ip',
  'user_agent',
  'user',
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

/** `buffer_start` → `Video Buffer Start` (title) or `buffer_start` (raw); custom events use their `name`. */
export function eventTypeName(event: EnrichedEvent, naming: TransformOptions['event_naming']): string {
  const customName = event.type === 'custom' && typeof event.name === 'string' ? event.name.trim() : ''
  let name: string
  if (naming === 'raw') {
    name = customName || event.type
  } else {
    const words = event.type
      .split(/[_\s]+/)
      .filter(Boolean)
      .map((word) => word[0]?.toUpperCase() + word.slice(1))
    name = customName ? `Video Custom: ${customName}` : `Video ${words.join(' ')}`
  }
  // Names starting with "[Amplitude]" are reserved for Amplitude (HTTP V2 doc, event_type).
  if (name.startsWith('[Amplitude]')) name = `Video ${name}`
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

function group(event: EnrichedEvent, name: string): Record<string, unknown> {
  const value = event[name]
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.slice(0, MAX_STRING) : undefined
}

function integerMs(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : undefined
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i
const EARLIEST_SESSION = Date.UTC(2020, 0, 1)
const DAY_MS = 24 * 3600 * 1000

/**
 * Amplitude's session_id is the session's start time in epoch ms, not an identifier
 * (https://amplitude.com/docs/apis/analytics/http-v2, event keys: "session_id … The start time of the session
 * in milliseconds since epoch"). Events carry no start time, so it comes from, in order: a numeric
 * `session_start` field (not in dictionary v1), or the timestamp inside a UUIDv7 `session_id` (RFC 9562: the
 * first 48 bits are the creation time in ms). Otherwise the event is sent without a session (Amplitude's -1).
 */
export function sessionStartMs(event: EnrichedEvent): number | undefined {
  const explicit = integerMs(event.session_start)
  if (explicit !== undefined) return explicit
  if (typeof event.session_id !== 'string' || !UUID_V7.test(event.session_id)) return undefined
  const ms = Number.parseInt(event.session_id.replaceAll('-', '').slice(0, 12), 16)
  const eventTime = integerMs(event.ts_corrected) ?? event.received_at
  // A v7 timestamp after the event (beyond a day of clock slack) or before 2020 is not a session start.
  if (ms < EARLIEST_SESSION || ms > eventTime + DAY_MS) return undefined
  return ms
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
    event_type: eventTypeName(event, options.event_naming),
    time: integerMs(event.ts_corrected) ?? integerMs(event.ts) ?? Math.round(event.received_at),
    insert_id: event.event_id,
    event_properties: sanitize(properties) as Record<string, unknown>,
  }

  const userId = amplitudeId(user.id, options.min_id_length)
  if (userId) record.user_id = userId
  const deviceId =
    amplitudeId(user.anonymous_id, options.min_id_length) ??
    amplitudeId(event.session_id, options.min_id_length) ??
    amplitudeId(event.view_id, options.min_id_length)
  if (deviceId) record.device_id = deviceId

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
