import { gunzipSync, inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { makeEvent } from '../../test/fixtures/events.ts'
import { compress } from './compression.ts'
import { eventTimeMs, group, integerMs, msToSeconds, nonEmptyString } from './event-fields.ts'
import { eventTypeName, videoTitle } from './event-naming.ts'
import { sessionStartMs, uuidV7Ms } from './session-start.ts'

// 0x019ca9450a00 = 1772366400000 ms = 2026-03-01T12:00:00Z
const V7 = '019ca945-0a00-7abc-8def-0123456789ab'

describe('event fields', () => {
  it('reads groups, strings, milliseconds and the event time', () => {
    const event = makeEvent({ user: { id: 'u-1' }, device: ['not', 'an', 'object'] })
    expect(group(event, 'user')).toEqual({ id: 'u-1' })
    expect(group(event, 'device')).toEqual({})
    expect(group(event, 'missing')).toEqual({})
    expect(nonEmptyString('')).toBeUndefined()
    expect(nonEmptyString(3)).toBeUndefined()
    expect(nonEmptyString('x')).toBe('x')
    expect(integerMs(1.6)).toBe(2)
    expect(integerMs(0)).toBeUndefined()
    expect(integerMs(Number.NaN)).toBeUndefined()
    expect(msToSeconds(1_499)).toBe(1)
    expect(msToSeconds(-1)).toBeUndefined()
    expect(eventTimeMs(makeEvent({ ts: 10, ts_corrected: 12 }))).toBe(12)
    expect(eventTimeMs(makeEvent({ ts: 10, ts_corrected: undefined }))).toBe(10)
  })
})

describe('event naming', () => {
  it('names types in title or raw style; the custom event by its own name; no vendor rules', () => {
    expect(videoTitle('ad_break_start')).toBe('Video Ad Break Start')
    expect(eventTypeName(makeEvent({ type: 'buffer_start' }), 'title')).toBe('Video Buffer Start')
    expect(eventTypeName(makeEvent({ type: 'buffer_start' }), 'raw')).toBe('buffer_start')
    expect(eventTypeName(makeEvent({ type: 'custom', name: ' share ' }), 'title')).toBe('Video Custom: share')
    expect(eventTypeName(makeEvent({ type: 'custom', name: 'share' }), 'raw')).toBe('share')
    expect(eventTypeName(makeEvent({ type: 'custom', name: '' }), 'raw')).toBe('custom')
    // Reserved prefixes and length caps belong to the vendors (e.g. Amplitude's "[Amplitude]").
    expect(eventTypeName(makeEvent({ type: 'custom', name: '[Amplitude] x' }), 'raw')).toBe('[Amplitude] x')
    expect(eventTypeName(makeEvent({ type: 'custom', name: 'n'.repeat(2000) }), 'raw')).toHaveLength(2000)
  })
})

describe('session start', () => {
  it('comes from session_start, else from a plausible UUIDv7 session_id', () => {
    expect(uuidV7Ms(V7)).toBe(1_772_366_400_000)
    expect(uuidV7Ms('5d7c1a8e-3f0b-4c5e-9a41-0f3e8d2b6c11')).toBeUndefined()
    expect(sessionStartMs(makeEvent({ session_start: 1_772_366_000_000.4 }))).toBe(1_772_366_000_000)
    expect(sessionStartMs(makeEvent({ session_id: V7 }))).toBe(1_772_366_400_000)
    // More than a day after the event: not a session start.
    expect(sessionStartMs(makeEvent({ session_id: V7, ts: 1.7e12, ts_corrected: 1.7e12 }))).toBeUndefined()
    expect(sessionStartMs(makeEvent())).toBeUndefined()
  })
})

describe('sending', () => {
  it('compresses bodies with gzip or deflate, or leaves them as they are', async () => {
    expect(gunzipSync(await compress('{"a":1}', 'gzip')).toString()).toBe('{"a":1}')
    expect(inflateSync(await compress('{"a":1}', 'deflate')).toString()).toBe('{"a":1}')
    expect(await compress('{"a":1}', 'none')).toBe('{"a":1}')
  })
})
