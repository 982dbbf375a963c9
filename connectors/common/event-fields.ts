import type { EnrichedEvent } from '../../src/event.ts'
import { isObject } from './is-object.ts'

/**
 * Reading data-dictionary fields (collectors-schema/) the same way in every connector. Vendor limits (string
 * caps, id rules) stay in the vendor's transform.
 */

/**
 * The object under `name` (a dictionary group such as `user`, `device`, `content`, `buffer`), or `{}` when it
 * is absent or not an object, so its fields can be read without checks.
 */
export function group(parent: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = parent[name]
  return isObject(value) ? value : {}
}

/** A string of at least one character, else undefined. */
export function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** A positive finite number rounded to whole milliseconds, else undefined. */
export function integerMs(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : undefined
}

/** Milliseconds (finite, ≥ 0) as whole seconds, else undefined. */
export function msToSeconds(ms: unknown): number | undefined {
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? Math.round(ms / 1000) : undefined
}

/** When the event happened, epoch ms: `ts_corrected` (the client clock corrected for skew), else `ts`. */
export function eventTimeMs(event: EnrichedEvent): number {
  return typeof event.ts_corrected === 'number' ? event.ts_corrected : event.ts
}

/** The dictionary's payload objects, one per event family (collectors-schema/events/). */
export const PAYLOAD_OBJECTS = [
  'startup',
  'buffer',
  'seek',
  'rendition',
  'request',
  'error',
  'ad',
  'ad_break',
  'milestone',
  'view',
  'metrics',
] as const

/**
 * Top-level fields an analytics connector maps to the vendor's own fields (insert id, event name, time, user,
 * IP, user agent) or never sends (ingest_node), so they are left out of the free-form properties.
 */
export const VENDOR_MAPPED_FIELDS = [
  'event_id',
  'type',
  'ts',
  'ts_corrected',
  'received_at',
  'ingest_node',
  'client_ip',
  'user_agent',
  'user',
] as const
