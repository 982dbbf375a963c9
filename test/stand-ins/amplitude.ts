import { gunzipSync } from 'node:zlib'
import { kit, type RecordedRequest, type StandIn, startStandIn } from './recorder.ts'

/**
 * Amplitude HTTP V2 API stand-in (POST /2/httpapi), enforcing the documented contract
 * (https://amplitude.com/docs/apis/analytics/http-v2, Amplitude-Developer-Docs http-v2-api.md):
 *
 * - Content-Type application/json, JSON body `{api_key, events:[…], options?}` (gzip bodies are decoded);
 * - body over 1 MB or more than 2000 events → 413 `{code:413, error:"Payload too large"}`;
 * - missing api_key/events → 400 "Request missing required field" + `missing_field`; wrong key → 400
 *   "Invalid API key";
 * - per event: `event_type` required and not reserved, `time` integer ms, user_id/device_id strings that are
 *   not placeholders; ids shorter than min_id_length (default 5) are dropped and an event left without any id
 *   is refused. Refused events are reported by index in `events_with_invalid_fields`,
 *   `events_with_missing_fields`, `events_with_invalid_id_lengths`, `silenced_events` → 400, nothing ingested;
 * - users/devices over `epsThreshold` events/s (averaged over 30 s), or named by `throttle()` → 429 with
 *   `throttled_users`, `throttled_devices`, `throttled_events`, `exceeded_daily_quota_*`; nothing ingested;
 * - otherwise 200 `{code:200, events_ingested, payload_size_bytes, server_upload_time}`; events whose insert_id
 *   was ingested in the last 7 days are dropped silently (counted in `duplicatesDropped()`).
 */

export interface AmplitudeStandInOptions {
  apiKey: string
  maxEvents?: number
  maxBytes?: number
  /** Events per second per user/device, averaged over 30 s (current docs: 30). */
  epsThreshold?: number
  /** Path (default /2/httpapi). */
  path?: string
}

export interface IngestedEvent {
  insert_id: string | undefined
  event: Record<string, unknown>
  request: RecordedRequest | undefined
}

export interface AmplitudeStandIn extends StandIn {
  /** `url` + path: what to configure as the connector's `server_url`. */
  endpoint: string
  /** Events Amplitude would have stored (duplicates by insert_id excluded), in order. */
  ingested: IngestedEvent[]
  /** Distinct insert_ids ingested (events without insert_id count one each). */
  uniqueCount(): number
  /** Events dropped because their insert_id was ingested in the last 7 days. */
  duplicatesDropped(): number
  /** Make the next requests containing these users/devices answer 429 (until `unthrottle()`). */
  throttle(ids: { users?: string[]; devices?: string[] }): void
  /** Make these users/devices look over their daily quota (429, until `unthrottle()`). */
  exceedDailyQuota(ids: { users?: string[]; devices?: string[] }): void
  unthrottle(): void
  /** Events of these devices are refused with 400 "Events silenced for device_id". */
  silence(devices: string[]): void
  /** Events with these insert_ids are reported in `events_with_invalid_fields` (400, nothing ingested). */
  invalidate(insertIds: string[]): void
}

// https://amplitude.com/docs/apis/analytics/http-v2: reserved event types, invalid ids, 7-day insert_id dedupe.
const RESERVED_EVENT_TYPES = new Set([
  '[Amplitude] Start Session',
  '[Amplitude] End Session',
  '[Amplitude] Revenue',
  '[Amplitude] Revenue (Verified)',
  '[Amplitude] Revenue (Unverified)',
  '[Amplitude] Merged User',
])
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
const DEDUPE_WINDOW_MS = 7 * 24 * 3600 * 1000
const EPS_WINDOW_MS = 30_000

export async function startAmplitudeStandIn(options: AmplitudeStandInOptions): Promise<AmplitudeStandIn> {
  const path = options.path ?? '/2/httpapi'
  const maxEvents = options.maxEvents ?? 2000
  const maxBytes = options.maxBytes ?? 1_000_000
  const epsThreshold = options.epsThreshold ?? 30
  const ingested: IngestedEvent[] = []
  const insertIds = new Map<string, number>()
  let duplicates = 0
  const forced = { users: new Set<string>(), devices: new Set<string>() }
  const quota = { users: new Set<string>(), devices: new Set<string>() }
  const silenced = new Set<string>()
  const invalidInsertIds = new Set<string>()
  /** Ingest times per "u:<user_id>" / "d:<device_id>", for the eps throttle. */
  const history = new Map<string, number[]>()
  const remember = (key: string, at: number) => {
    const times = history.get(key)
    if (times) times.push(at)
    else history.set(key, [at])
  }

  const base = await startStandIn({
    faultBody: (status) => ({
      code: status,
      error: status >= 500 ? 'Internal server error' : `HTTP ${status}`,
    }),
    routes(app, recordOf) {
      app.post(path, async (request, reply) => {
        const fail400 = (body: Record<string, unknown>) => reply.code(400).send({ code: 400, ...body })
        const tooLarge = () => reply.code(413).send({ code: 413, error: 'Payload too large' })

        if (kit.mediaType(request.headers['content-type']) !== 'application/json') {
          return fail400({ error: 'Invalid request content type, expected application/json' })
        }
        let raw = kit.bodyBytes(request)
        if (raw.length === 0) return fail400({ error: 'Missing request body' })
        if (raw.length > maxBytes) return tooLarge()
        if (request.headers['content-encoding'] === 'gzip') {
          try {
            raw = gunzipSync(raw)
          } catch {
            return fail400({ error: 'Invalid JSON request body' })
          }
        }
        const parsed = kit.parseJson(raw)
        if (!parsed.ok || !kit.isRecord(parsed.value)) return fail400({ error: 'Invalid JSON request body' })
        const body = parsed.value

        if (typeof body.api_key !== 'string' || body.api_key === '') {
          return fail400({ error: 'Request missing required field', missing_field: 'api_key' })
        }
        if (body.api_key !== options.apiKey) return fail400({ error: 'Invalid API key' })
        if (!Array.isArray(body.events) || body.events.length === 0) {
          return fail400({ error: 'Request missing required field', missing_field: 'events' })
        }
        const events = body.events as unknown[]
        if (events.length > maxEvents) return tooLarge()
        const minIdLength =
          kit.isRecord(body.options) && Number.isInteger(body.options.min_id_length)
            ? (body.options.min_id_length as number)
            : 5

        // Per-event validation: collect index maps like the real API.
        const invalid: Record<string, number[]> = {}
        const missing: Record<string, number[]> = {}
        const idLengths: Record<string, number[]> = {}
        const silencedEvents: number[] = []
        const silencedDevices = new Set<string>()
        const add = (map: Record<string, number[]>, field: string, index: number) => {
          map[field] ??= []
          map[field].push(index)
        }
        const ids: { user?: string; device?: string }[] = []

        events.forEach((event, index) => {
          ids.push({})
          if (!kit.isRecord(event)) {
            add(invalid, 'event', index)
            return
          }
          if (typeof event.event_type !== 'string' || event.event_type === '')
            add(missing, 'event_type', index)
          else if (RESERVED_EVENT_TYPES.has(event.event_type)) add(invalid, 'event_type', index)
          if (event.time !== undefined && !Number.isInteger(event.time)) add(invalid, 'time', index)
          if (event.session_id !== undefined && !Number.isInteger(event.session_id))
            add(invalid, 'session_id', index)
          if (event.insert_id !== undefined && typeof event.insert_id !== 'string')
            add(invalid, 'insert_id', index)
          else if (invalidInsertIds.has(event.insert_id as string)) add(invalid, 'event_properties', index)
          if (event.event_properties !== undefined && !kit.isRecord(event.event_properties)) {
            add(invalid, 'event_properties', index)
          }
          let shortId = ''
          let invalidId = false
          const kept: { user?: string; device?: string } = {}
          for (const [field, slot] of [
            ['user_id', 'user'],
            ['device_id', 'device'],
          ] as const) {
            const value = event[field]
            if (value === undefined || value === null) continue
            if (typeof value !== 'string' || PLACEHOLDER_IDS.has(value.toLowerCase())) {
              add(invalid, field, index)
              invalidId = true
            } else if (value.length < minIdLength) {
              // "If an event contains a device ID or user ID that is too short, the ID value will be removed."
              shortId ||= field
            } else {
              kept[slot] = value
            }
          }
          if (!invalidId && kept.user === undefined && kept.device === undefined) {
            if (shortId) add(idLengths, shortId, index)
            else add(missing, 'device_id', index)
          }
          if (kept.device !== undefined && silenced.has(kept.device)) {
            silencedEvents.push(index)
            silencedDevices.add(kept.device)
          }
          ids[index] = kept
        })

        const refused =
          Object.keys(invalid).length + Object.keys(missing).length + Object.keys(idLengths).length > 0 ||
          silencedEvents.length > 0
        if (refused) {
          const error =
            Object.keys(invalid).length > 0 || Object.keys(idLengths).length > 0
              ? 'Invalid field values on some events'
              : Object.keys(missing).length > 0
                ? 'Request missing required field'
                : 'Events silenced for device_id'
          return fail400({
            error,
            events_with_invalid_fields: invalid,
            events_with_missing_fields: missing,
            events_with_invalid_id_lengths: idLengths,
            silenced_devices: [...silencedDevices],
            silenced_events: silencedEvents,
          })
        }

        // Throttling: forced ids, daily quota, and the real per-id eps over the last 30 s.
        const now = Date.now()
        const pending = new Map<string, number>()
        for (const { user, device } of ids) {
          if (user) pending.set(`u:${user}`, (pending.get(`u:${user}`) ?? 0) + 1)
          if (device) pending.set(`d:${device}`, (pending.get(`d:${device}`) ?? 0) + 1)
        }
        const throttledUsers: Record<string, number> = {}
        const throttledDevices: Record<string, number> = {}
        const quotaUsers: Record<string, number> = {}
        const quotaDevices: Record<string, number> = {}
        for (const [key, count] of pending) {
          const times = (history.get(key) ?? []).filter((t) => now - t < EPS_WINDOW_MS)
          history.set(key, times)
          const rate = (times.length + count) / (EPS_WINDOW_MS / 1000)
          const eps = Math.ceil(rate)
          const id = key.slice(2)
          const isUser = key.startsWith('u:')
          const overQuota = isUser ? quota.users.has(id) : quota.devices.has(id)
          const forcedThrottle = isUser ? forced.users.has(id) : forced.devices.has(id)
          if (overQuota) {
            if (isUser) quotaUsers[id] = eps
            else quotaDevices[id] = eps
          } else if (forcedThrottle || rate > epsThreshold) {
            const reported = Math.max(eps, epsThreshold + 1)
            if (isUser) throttledUsers[id] = reported
            else throttledDevices[id] = reported
          }
        }
        const hit = (map: Record<string, number>, id: string | undefined) => id !== undefined && id in map
        const throttledEvents = ids
          .map((id, index) => (hit(throttledUsers, id.user) || hit(throttledDevices, id.device) ? index : -1))
          .filter((index) => index >= 0)
        const anyQuota = Object.keys(quotaUsers).length + Object.keys(quotaDevices).length > 0
        if (throttledEvents.length > 0 || anyQuota) {
          return reply.code(429).send({
            code: 429,
            error: 'Too many requests for some devices and users',
            eps_threshold: epsThreshold,
            throttled_devices: throttledDevices,
            throttled_users: throttledUsers,
            throttled_events: throttledEvents,
            exceeded_daily_quota_users: quotaUsers,
            exceeded_daily_quota_devices: quotaDevices,
          })
        }

        const record = recordOf(request)
        for (const [index, event] of (events as Record<string, unknown>[]).entries()) {
          const { user, device } = ids[index] ?? {}
          if (user) remember(`u:${user}`, now)
          if (device) remember(`d:${device}`, now)
          const insertId = typeof event.insert_id === 'string' ? event.insert_id : undefined
          if (insertId !== undefined) {
            const seenAt = insertIds.get(insertId)
            if (seenAt !== undefined && now - seenAt < DEDUPE_WINDOW_MS) {
              duplicates += 1
              continue
            }
            insertIds.set(insertId, now)
          }
          ingested.push({ insert_id: insertId, event, request: record })
        }
        return reply.code(200).send({
          code: 200,
          events_ingested: events.length,
          payload_size_bytes: raw.length,
          server_upload_time: now,
        })
      })
    },
  })

  return {
    ...base,
    endpoint: `${base.url}${path}`,
    ingested,
    uniqueCount: () => ingested.length,
    duplicatesDropped: () => duplicates,
    throttle({ users = [], devices = [] }) {
      for (const id of users) forced.users.add(id)
      for (const id of devices) forced.devices.add(id)
    },
    exceedDailyQuota({ users = [], devices = [] }) {
      for (const id of users) quota.users.add(id)
      for (const id of devices) quota.devices.add(id)
    },
    unthrottle() {
      forced.users.clear()
      forced.devices.clear()
      quota.users.clear()
      quota.devices.clear()
    },
    silence(devices) {
      for (const id of devices) silenced.add(id)
    },
    invalidate(ids) {
      for (const id of ids) invalidInsertIds.add(id)
    },
  }
}
