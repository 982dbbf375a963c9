import { kit, type RecordedRequest, type StandIn, startStandIn } from './recorder.ts'

/**
 * Heap server-side track stand-in (POST /api/track, single or bulk), enforcing the documented contract
 * (https://developers.heap.io/reference/track-1, https://developers.heap.io/reference/bulk-track):
 *
 * - Content-Type application/json; `app_id` must be the configured environment;
 * - bulk: `events` of at most 1000 objects; single: the event fields at the top level;
 * - per event: `event` (1–1024 characters); exactly one of `identity` (≤ 255 characters) or `user_id` (a
 *   number 0…2^53−1 as a string); `timestamp` ISO 8601 if present; `properties` flat, each value a number or a
 *   string under 1024 characters (arrays of those are joined with "||");
 * - 1000 events per minute per identity and 15 000 per app_id (configurable) → 429.
 *
 * Heap does not document its error responses: this stand-in answers 400 `{"error": …}` for any invalid event
 * or request (nothing of the request is stored) and 429 without Retry-After. Success is 200 with an empty body.
 * Events repeating an `idempotency_key` are not stored again (`duplicatesDropped()`).
 */

export interface HeapStandInOptions {
  appId: string
  maxEvents?: number
  perIdentityPerMinute?: number
  perAppPerMinute?: number
}

export interface HeapStored {
  event: Record<string, unknown>
  request: RecordedRequest | undefined
}

export interface HeapStandIn extends StandIn {
  /** What to configure as the connector's `server_url`. */
  endpoint: string
  stored: HeapStored[]
  uniqueCount(): number
  duplicatesDropped(): number
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/
const MAX_USER_ID = 2 ** 53 - 1

function eventProblem(event: unknown): string | undefined {
  if (!kit.isRecord(event)) return 'event must be an object'
  if (typeof event.event !== 'string' || event.event === '' || event.event.length > 1024) {
    return '"event" must be a string of 1 to 1024 characters'
  }
  const hasIdentity = event.identity !== undefined
  const hasUserId = event.user_id !== undefined
  if (hasIdentity === hasUserId) return 'exactly one of "identity" or "user_id" is required'
  if (
    hasIdentity &&
    (typeof event.identity !== 'string' || event.identity === '' || event.identity.length > 255)
  ) {
    return '"identity" must be a string of at most 255 characters'
  }
  if (hasUserId) {
    const id = event.user_id
    if (typeof id !== 'string' || !/^\d+$/.test(id) || Number(id) > MAX_USER_ID) {
      return '"user_id" must be a number between 0 and 2^53 - 1, as a string'
    }
  }
  if (
    event.timestamp !== undefined &&
    (typeof event.timestamp !== 'string' || !ISO_8601.test(event.timestamp))
  ) {
    return '"timestamp" must be ISO 8601'
  }
  if (event.properties === undefined) return undefined
  if (!kit.isRecord(event.properties)) return '"properties" must be an object'
  for (const [key, value] of Object.entries(event.properties)) {
    if (key.length >= 1024) return `property name "${key.slice(0, 20)}…" is 1024 characters or more`
    const values = Array.isArray(value) ? value : [value]
    for (const item of values) {
      const ok =
        typeof item === 'number' ? Number.isFinite(item) : typeof item === 'string' && item.length < 1024
      if (!ok) return `property "${key}" must be a number or a string under 1024 characters`
    }
  }
  return undefined
}

export async function startHeapStandIn(options: HeapStandInOptions): Promise<HeapStandIn> {
  const maxEvents = options.maxEvents ?? 1000
  const perIdentity = options.perIdentityPerMinute ?? 1000
  const perApp = options.perAppPerMinute ?? 15_000
  const stored: HeapStored[] = []
  const keys = new Set<string>()
  let duplicates = 0
  /** Arrival times of accepted events, per identity and for the app, over the last minute. */
  const recent = new Map<string, number[]>()
  const lastMinute = (key: string, now: number) => {
    const times = (recent.get(key) ?? []).filter((t) => now - t < 60_000)
    recent.set(key, times)
    return times
  }

  const base = await startStandIn({
    faultBody: (status) => ({ error: `HTTP ${status}` }),
    routes(app, recordOf) {
      app.post('/api/track', async (request, reply) => {
        const bad = (error: string) => reply.code(400).send({ error })
        if (kit.mediaType(request.headers['content-type']) !== 'application/json')
          return bad('expected application/json')
        const parsed = kit.parseJson(kit.bodyBytes(request))
        if (!parsed.ok || !kit.isRecord(parsed.value)) return bad('invalid JSON')
        const body = parsed.value
        if (body.app_id !== options.appId) return bad('invalid app_id')
        const events = Array.isArray(body.events)
          ? body.events
          : body.events === undefined
            ? [body]
            : undefined
        if (!events || events.length === 0) return bad('"events" must be a non-empty array')
        if (events.length > maxEvents) return bad(`at most ${maxEvents} events per request`)
        for (const [index, event] of events.entries()) {
          const problem = eventProblem(event)
          if (problem) return bad(`events[${index}]: ${problem}`)
        }

        const now = Date.now()
        const who = (event: Record<string, unknown>) => `id:${event.identity ?? `user:${event.user_id}`}`
        const incoming = new Map<string, number>()
        for (const event of events as Record<string, unknown>[])
          incoming.set(who(event), (incoming.get(who(event)) ?? 0) + 1)
        const overIdentity = [...incoming].some(([key, n]) => lastMinute(key, now).length + n > perIdentity)
        if (overIdentity || lastMinute('app', now).length + events.length > perApp) {
          return reply.code(429).send({ error: 'rate limit exceeded' })
        }

        const record = recordOf(request)
        for (const event of events as Record<string, unknown>[]) {
          lastMinute(who(event), now).push(now)
          lastMinute('app', now).push(now)
          const key = typeof event.idempotency_key === 'string' ? event.idempotency_key : undefined
          if (key !== undefined && keys.has(key)) {
            duplicates += 1
            continue
          }
          if (key !== undefined) keys.add(key)
          stored.push({ event, request: record })
        }
        return reply.code(200).send()
      })
    },
  })

  return {
    ...base,
    endpoint: `${base.url}/api/track`,
    stored,
    uniqueCount: () => keys.size,
    duplicatesDropped: () => duplicates,
  }
}
