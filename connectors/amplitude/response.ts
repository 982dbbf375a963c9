import type { Outcome } from '../../src/worker/connector.ts'
import { bodyExcerpt, outcomesForAll, parseRetryAfter, tryParseJson } from '../../src/worker/http-outcome.ts'
import { isObject } from '../common/is-object.ts'
import type { AmplitudeEvent } from './transform.ts'

/**
 * Amplitude-specific readings of 400 and 429 responses
 * (https://amplitude.com/docs/apis/analytics/http-v2 "Response format"; retry guidance in
 * https://amplitude.com/docs/apis/analytics/http-api-batching-retries). In both cases Amplitude refused
 * the whole request: nothing in it was ingested.
 */

// "If you exceed the limit you receive an error and must pause sending events for that user or device for
// 30 seconds before retrying" (https://amplitude.com/docs/faq/api-choice; HTTP V2 doc, 429).
export const THROTTLE_PAUSE_MS = 30_000
// Daily quotas are counted over a rolling 24 h (https://amplitude.com/docs/apis/analytics/batch-event-upload);
// retrying such users/devices soon is pointless, so wait long and let the runtime's max_elapsed_ms
// dead-letter them eventually.
export const DAILY_QUOTA_PAUSE_MS = 10 * 60_000

/** 400 fields that map field names to event indexes. */
const INDEX_MAPS = [
  ['events_with_invalid_fields', 'invalid'],
  ['events_with_missing_fields', 'missing'],
  ['events_with_invalid_id_lengths', 'invalid id length'],
] as const

function indexes(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((i): i is number => Number.isInteger(i)) : []
}

/** Keys of an id → rate map, or the entries of an id array (the docs show maps; be lenient). */
function idSet(value: unknown): Set<string> {
  if (Array.isArray(value)) return new Set(value.filter((v): v is string => typeof v === 'string'))
  if (isObject(value)) return new Set(Object.keys(value))
  return new Set()
}

/**
 * 400: events listed by index (invalid/missing fields, invalid id lengths, silenced) are rejected; the
 * other events were refused only because they shared the request, so they are retried at once
 * (afterMs 0). A 400 that lists no event (invalid API key, malformed body…) rejects every item.
 */
export function outcomesFor400(records: readonly AmplitudeEvent[], text: string): Outcome[] {
  const body = tryParseJson(text)
  const excerpt = bodyExcerpt(text)
  const error = isObject(body) && typeof body.error === 'string' ? body.error : 'Bad Request'
  const reasons = new Map<number, string[]>()
  const note = (index: number, reason: string) => {
    if (index < 0 || index >= records.length) return
    const list = reasons.get(index) ?? []
    list.push(reason)
    reasons.set(index, list)
  }

  if (isObject(body)) {
    for (const [key, label] of INDEX_MAPS) {
      const map = body[key]
      if (!isObject(map)) continue
      for (const [field, list] of Object.entries(map))
        for (const i of indexes(list)) note(i, `${label} ${field}`)
    }
    for (const i of indexes(body.silenced_events)) note(i, 'silenced device')
    const silencedDevices = idSet(body.silenced_devices)
    records.forEach((record, i) => {
      if (record.device_id !== undefined && silencedDevices.has(record.device_id) && !reasons.has(i)) {
        note(i, 'silenced device')
      }
    })
  }

  if (reasons.size === 0 && /invalid api key/i.test(error)) {
    // A revoked or rotated key refuses every request: hold the stream instead of dead-lettering it.
    return outcomesForAll(records.length, {
      kind: 'paused',
      cause: 'credentials',
      reason: `Amplitude 400: ${error}`,
      status: 400,
    })
  }
  if (reasons.size === 0) {
    return outcomesForAll(records.length, {
      kind: 'rejected',
      reason: `Amplitude 400: ${error}`,
      status: 400,
      body: excerpt,
    })
  }
  return records.map((_, i): Outcome => {
    const why = reasons.get(i)
    if (why)
      return { kind: 'rejected', reason: `Amplitude 400: ${why.join('; ')}`, status: 400, body: excerpt }
    return {
      kind: 'retry',
      reason: 'not ingested: other events in the request were invalid',
      status: 400,
      afterMs: 0,
    }
  })
}

/**
 * 429: events of throttled users/devices wait at least 30 s; events of users/devices over their daily
 * quota wait 10 min; the other events were refused only because they shared the request and are retried
 * right away (or after Retry-After, if Amplitude sent one). If the body names nobody, every event waits 30 s.
 */
export function outcomesFor429(
  records: readonly AmplitudeEvent[],
  text: string,
  retryAfterHeader: string | string[] | undefined,
  now: number = Date.now(),
): Outcome[] {
  const body = tryParseJson(text)
  const retryAfter = parseRetryAfter(retryAfterHeader, now)
  const throttledPause = Math.max(THROTTLE_PAUSE_MS, retryAfter ?? 0)
  if (!isObject(body)) {
    return outcomesForAll(records.length, {
      kind: 'retry',
      reason: 'Amplitude 429',
      status: 429,
      afterMs: throttledPause,
    })
  }

  const throttledEvents = new Set(indexes(body.throttled_events))
  const throttledUsers = idSet(body.throttled_users)
  const throttledDevices = idSet(body.throttled_devices)
  const quotaUsers = idSet(body.exceeded_daily_quota_users)
  const quotaDevices = idSet(body.exceeded_daily_quota_devices)

  const matches = (record: AmplitudeEvent, users: Set<string>, devices: Set<string>) =>
    (record.user_id !== undefined && users.has(record.user_id)) ||
    (record.device_id !== undefined && devices.has(record.device_id))

  const outcomes = records.map((record, i): Outcome | undefined => {
    if (matches(record, quotaUsers, quotaDevices)) {
      return {
        kind: 'retry',
        reason: 'Amplitude 429: daily quota exceeded for this user/device',
        status: 429,
        afterMs: Math.max(DAILY_QUOTA_PAUSE_MS, retryAfter ?? 0),
      }
    }
    if (throttledEvents.has(i) || matches(record, throttledUsers, throttledDevices)) {
      return {
        kind: 'retry',
        reason: 'Amplitude 429: user/device throttled',
        status: 429,
        afterMs: throttledPause,
      }
    }
    return undefined
  })

  if (records.every((record) => matches(record, quotaUsers, quotaDevices))) {
    // Every event of the request is over its daily quota: pause for the quota window instead of
    // spending attempts on each record.
    return outcomesForAll(records.length, {
      kind: 'paused',
      cause: 'quota',
      reason: 'Amplitude 429: daily quota exceeded',
      status: 429,
      afterMs: Math.max(DAILY_QUOTA_PAUSE_MS, retryAfter ?? 0),
    })
  }
  if (outcomes.every((outcome) => outcome === undefined)) {
    return outcomesForAll(records.length, {
      kind: 'retry',
      reason: 'Amplitude 429',
      status: 429,
      afterMs: throttledPause,
    })
  }
  return outcomes.map(
    (outcome): Outcome =>
      outcome ?? {
        kind: 'retry',
        reason: 'not ingested: other users/devices in the request were throttled',
        status: 429,
        afterMs: retryAfter ?? 0,
      },
  )
}
