import { createHash } from 'node:crypto'
import type { EnrichedEvent } from '../../src/event.ts'
import { eventTimeMs, group, VENDOR_MAPPED_FIELDS } from '../common/event-fields.ts'
import { type EventNaming, eventTypeName } from '../common/event-naming.ts'

/** One event of a Heap server-side track request (https://developers.heap.io/reference/track-1). */
export interface HeapEvent {
  event: string
  /** Signed-in viewers; otherwise `user_id`. Heap takes one or the other, never both. */
  identity?: string
  user_id?: string
  /** ISO 8601. */
  timestamp: string
  idempotency_key: string
  session_id: string
  properties: Record<string, HeapValue>
}

export type HeapValue = string | number | (string | number)[]

export interface TransformOptions {
  event_naming: EventNaming
}

// https://developers.heap.io/reference/track-1: event names of at most 1024 characters; identity "limited to
// 255 characters"; property keys and values "a number or string with fewer than 1024 characters"; arrays are
// joined with "||" and cut to 1024.
export const MAX_EVENT_NAME = 1024
export const MAX_IDENTITY = 255
export const MAX_STRING = 1023
// Same page: user_id "must be the string representation of a number between zero and 2^53 - 1".

/** Mapped to Heap's own fields, or not sent. */
const NOT_COPIED = new Set<string>([...VENDOR_MAPPED_FIELDS, 'session_id', 'name'])

function scalar(value: unknown): string | number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value === 'boolean') return String(value)
  if (typeof value === 'string') return value.slice(0, MAX_STRING)
  return undefined
}

/** Heap properties are flat: nested objects become dotted keys (`content.title`). */
export function flatten(value: unknown, key: string, out: Record<string, HeapValue>): void {
  if (value === null || value === undefined || key.length > MAX_STRING) return
  if (Array.isArray(value)) {
    const items = value.map(scalar)
    if (items.every((item) => item !== undefined)) out[key] = items as (string | number)[]
    else out[key] = JSON.stringify(value).slice(0, MAX_STRING)
    return
  }
  if (typeof value === 'object') {
    for (const [child, item] of Object.entries(value)) flatten(item, `${key}.${child}`, out)
    return
  }
  const clean = scalar(value)
  if (clean !== undefined) out[key] = clean
}

/**
 * Heap's numeric user_id (an anonymous Heap user) for viewers who are not signed in: the first 48 bits of
 * SHA-256 of the anonymous id, so the same viewer always lands on the same Heap user without being turned
 * into an identified one.
 */
export function anonymousUserId(source: string): string {
  return String(createHash('sha256').update(source).digest().readUIntBE(0, 6))
}

export function toHeap(event: EnrichedEvent, options: TransformOptions): HeapEvent {
  const user = group(event, 'user')
  const properties: Record<string, HeapValue> = {}
  for (const [key, value] of Object.entries(event)) {
    if (!NOT_COPIED.has(key)) flatten(value, key, properties)
  }
  if (event.type === 'custom' && typeof event.name === 'string') properties.custom_event_name = event.name

  const record: HeapEvent = {
    event: eventTypeName(event, options.event_naming).slice(0, MAX_EVENT_NAME),
    timestamp: new Date(Math.round(eventTimeMs(event))).toISOString(),
    idempotency_key: event.event_id,
    session_id: event.session_id,
    properties,
  }
  const identity = typeof user.id === 'string' ? user.id : ''
  if (identity !== '' && identity.length <= MAX_IDENTITY) {
    record.identity = identity
  } else {
    const anonymous =
      typeof user.anonymous_id === 'string' && user.anonymous_id ? user.anonymous_id : event.session_id
    record.user_id = anonymousUserId(anonymous)
  }
  return record
}
