import type { EnrichedEvent } from '../../src/event.ts'
import { integerMs } from './event-fields.ts'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i
const EARLIEST_SESSION = Date.UTC(2020, 0, 1)
const DAY_MS = 24 * 3600 * 1000

/** The creation time inside a UUIDv7 (RFC 9562: the first 48 bits are Unix epoch ms), else undefined. */
export function uuidV7Ms(id: unknown): number | undefined {
  if (typeof id !== 'string' || !UUID_V7.test(id)) return undefined
  return Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16)
}

/**
 * When the event's session started, epoch ms, for vendors that identify sessions by their start time
 * (Amplitude's session_id, GA4's). Events carry no start time, so it comes from, in order: a numeric
 * `session_start` field (not in dictionary v1), or the timestamp inside a UUIDv7 `session_id`. Otherwise
 * undefined: the session start is unknown.
 */
export function sessionStartMs(event: EnrichedEvent): number | undefined {
  const explicit = integerMs(event.session_start)
  if (explicit !== undefined) return explicit
  const ms = uuidV7Ms(event.session_id)
  if (ms === undefined) return undefined
  const eventTime = integerMs(event.ts_corrected) ?? event.received_at
  // A v7 timestamp after the event (beyond a day of clock slack) or before 2020 is not a session start.
  if (ms < EARLIEST_SESSION || ms > eventTime + DAY_MS) return undefined
  return ms
}
