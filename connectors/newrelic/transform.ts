import type { EnrichedEvent } from '../../src/event.ts'

/**
 * One custom event of the Event API (https://docs.newrelic.com/docs/data-apis/ingest-apis/event-api/introduction-event-api/):
 * a flat object of string and number attributes plus `eventType`. Nested objects and arrays are not
 * accepted, so the event is flattened into dotted names.
 */
export type NewRelicEvent = { eventType: string; timestamp: number } & Record<string, string | number>

// Same page, "Limits and restricted characters": attribute values at most 4096 characters. A longer value
// gets the whole event dropped asynchronously, so values are truncated here instead.
export const MAX_VALUE_CHARS = 4096

/**
 * Names New Relic drops or interprets (https://docs.newrelic.com/docs/data-apis/custom-data/custom-events/data-requirements-limits-custom-event-data/,
 * "Reserved words"; entity.* from the Event API page). An event field with one of these names is sent as
 * `fw_<name>`.
 */
const RESERVED = new Set([
  'accountId',
  'appId',
  'eventType',
  'timestamp',
  'entity.guid',
  'entity.name',
  'entity.type',
  'hostname',
  'log',
  'plugin.type',
  'fb.input',
])

// Attribute names: letters, digits, "_", ":" and "." (same page, "Naming syntax"); anything else → "_".
const INVALID_NAME_CHARS = /[^A-Za-z0-9_.:]/g

export function truncate(text: string, max = MAX_VALUE_CHARS): string {
  if (text.length <= max) return text
  let end = max
  // Do not cut a surrogate pair in half.
  const code = text.charCodeAt(end - 1)
  if (code >= 0xd800 && code <= 0xdbff) end -= 1
  return text.slice(0, end)
}

/**
 * Adds `value` under `name`: objects become `name.key` attributes, arrays a JSON string, booleans
 * "true"/"false" (the Event API takes strings and numbers only), null and non-finite numbers nothing.
 */
function flatten(name: string, value: unknown, out: Record<string, string | number>): void {
  if (value === null || value === undefined) return
  if (typeof value === 'string') out[name] = truncate(value)
  else if (typeof value === 'number') {
    if (Number.isFinite(value)) out[name] = value
  } else if (typeof value === 'boolean') out[name] = String(value)
  else if (Array.isArray(value)) out[name] = truncate(JSON.stringify(value))
  else if (typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      flatten(`${name}.${key.replace(INVALID_NAME_CHARS, '_')}`, inner, out)
    }
  }
}

export function toNewRelic(event: EnrichedEvent, eventType: string): NewRelicEvent {
  const attributes: Record<string, string | number> = {}
  for (const [key, value] of Object.entries(event))
    flatten(key.replace(INVALID_NAME_CHARS, '_'), value, attributes)
  for (const name of Object.keys(attributes)) {
    // Top-level names, and dotted ones flattening can produce (an `entity` object → entity.guid).
    if (RESERVED.has(name)) {
      attributes[`fw_${name}`] = attributes[name] as string | number
      delete attributes[name]
    }
  }
  const ms = Number.isFinite(event.ts_corrected) ? event.ts_corrected : event.ts
  return { ...attributes, eventType, timestamp: Math.round(ms) }
}
