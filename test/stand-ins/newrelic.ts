import { randomUUID } from 'node:crypto'
import { kit, type RecordedRequest, type StandIn, startStandIn } from './recorder.ts'
import { redeliveries } from './redeliveries.ts'

/**
 * New Relic Event API stand-in (POST /v1/accounts/:accountId/events), enforcing the documented contract
 * (https://docs.newrelic.com/docs/data-apis/ingest-apis/event-api/introduction-event-api/):
 *
 * Synchronous checks (headers and size), answered with a status:
 * - `Api-Key: <license key>` (or the legacy `X-Insert-Key: <insert key>`) of the account in the URL →
 *   else 403; a multipart Content-Type → 415; an empty body → 400; a body (as sent, compressed or not)
 *   over 10^6 bytes → 413;
 * - otherwise 200 `{"success":true,"uuid":"…"}`.
 * Asynchronous parsing, after the 200, like the real API: problems become NrIntegrationError records
 * (`integrationErrors`) and the events concerned are dropped:
 * - undecodable gzip/deflate or invalid JSON → "Error parsing JSON payload" (nothing kept);
 * - per event: missing `eventType`, `eventType` with characters other than letters, digits, "_", ":";
 *   more than 255 attributes; an empty name or one over 255 characters; a string over 4096 characters;
 *   a `timestamp` more than 24 h from now; a value that is neither string nor number (the docs only allow
 *   those; what New Relic does with objects, arrays and booleans is an assumption: refused here);
 * - a reserved `eventType` (Metric, MetricRaw, Metric<digit>…, Public_…) is dropped silently.
 *
 * New Relic does not deduplicate: every kept event is stored; `uniqueCount()` counts distinct `event_id`s.
 */

export interface NewRelicStandInOptions {
  accountId: string
  licenseKey: string
  /** Legacy Insights insert key accepted in X-Insert-Key. */
  insertKey?: string
  maxPayloadBytes?: number
}

export interface StoredEvent {
  event: Record<string, unknown>
  event_id: string | undefined
  duplicate: boolean
  request: RecordedRequest | undefined
}

export interface IntegrationError {
  message: string
  /** The uuid of the request that caused it. */
  requestId: string
  eventTypeSample?: string
}

export interface NewRelicStandIn extends StandIn {
  /** Events New Relic kept, in order (duplicates included and flagged). */
  events: StoredEvent[]
  integrationErrors: IntegrationError[]
  uniqueCount(): number
  duplicateCount(): number
  /** Events dropped for a reserved eventType. */
  reservedDropped(): number
  /** Content-Encoding of every accepted request ('identity' when absent). */
  encodings: string[]
}

const EVENT_TYPE = /^[A-Za-z0-9_:]+$/
const RESERVED_EVENT_TYPE = /^(?:Metric|MetricRaw|Metric[0-9].*|Public_.*)$/
const DAY_MS = 24 * 3600_000

/** The parsing error that drops this event, or undefined. */
function problem(event: unknown, now: number): string | undefined {
  if (!kit.isRecord(event)) return 'Error parsing JSON payload'
  if (event.eventType === undefined) return 'missing required attributes `eventType`'
  if (typeof event.eventType !== 'string' || !EVENT_TYPE.test(event.eventType)) {
    return '`eventType` cannot contain the following characters: [., \\]'
  }
  const entries = Object.entries(event)
  if (entries.length > 255) return 'event exceeded maximum number of attributes'
  for (const [name, value] of entries) {
    if (name === '') return 'attribute is missing attribute name'
    if (name.length > 255) return 'attribute name exceeded maximum length'
    if (typeof value === 'string' && value.length > 4096) return 'attribute value exceeded maximum length'
    if (typeof value !== 'string' && typeof value !== 'number')
      return `attribute ${name} is not a string or number`
  }
  if (typeof event.timestamp === 'number') {
    const ms = event.timestamp < 1e12 ? event.timestamp * 1000 : event.timestamp
    if (Math.abs(now - ms) > DAY_MS) return 'timestamp is not within 24 hours of the current time'
  }
  return undefined
}

export async function startNewRelicStandIn(options: NewRelicStandInOptions): Promise<NewRelicStandIn> {
  const maxPayload = options.maxPayloadBytes ?? 1_000_000
  const events: StoredEvent[] = []
  const integrationErrors: IntegrationError[] = []
  const encodings: string[] = []
  const delivered = redeliveries()
  let reserved = 0

  const base = await startStandIn({
    faultBody: (status) => ({ success: false, error: `HTTP ${status}` }),
    routes(app, recordOf) {
      app.post<{ Params: { accountId: string } }>(
        '/v1/accounts/:accountId/events',
        async (request, reply) => {
          const apiKey = request.headers['api-key']
          const insertKey = request.headers['x-insert-key']
          const authorized =
            request.params.accountId === options.accountId &&
            ((apiKey !== undefined && apiKey === options.licenseKey) ||
              (insertKey !== undefined && options.insertKey !== undefined && insertKey === options.insertKey))
          if (!authorized) return reply.code(403).send({ success: false, error: 'Invalid license key' })
          if (kit.mediaType(request.headers['content-type']).startsWith('multipart/')) {
            return reply.code(415).send({ success: false, error: 'Invalid content type' })
          }
          const raw = kit.bodyBytes(request)
          if (raw.length === 0)
            return reply.code(400).send({ success: false, error: 'Unable to process empty request' })
          if (raw.length > maxPayload)
            return reply.code(413).send({ success: false, error: 'Content too large' })

          const uuid = randomUUID()
          const encoding = kit.contentEncoding(request.headers)
          encodings.push(encoding)
          const record = recordOf(request)
          const now = Date.now()
          // From here on New Relic has answered 200; what follows is its asynchronous parsing.
          const decoded = kit.decodeBody(raw, encoding)
          const parsed = decoded.ok ? kit.parseJson(decoded.body) : { ok: false as const }
          if (!parsed.ok) {
            integrationErrors.push({ message: 'Error parsing JSON payload', requestId: uuid })
          } else {
            const list = Array.isArray(parsed.value) ? parsed.value : [parsed.value]
            const rejected = new Map<string, { count: number; sample?: string }>()
            for (const event of list) {
              const why = problem(event, now)
              const eventType =
                kit.isRecord(event) && typeof event.eventType === 'string' ? event.eventType : undefined
              if (why) {
                const entry = rejected.get(why) ?? { count: 0, sample: eventType }
                entry.count += 1
                rejected.set(why, entry)
                continue
              }
              if (eventType && RESERVED_EVENT_TYPE.test(eventType)) {
                reserved += 1
                continue
              }
              const stored = event as Record<string, unknown>
              const eventId = typeof stored.event_id === 'string' ? stored.event_id : undefined
              const duplicate = delivered.note(eventId)
              events.push({ event: stored, event_id: eventId, duplicate, request: record })
            }
            for (const [why, { count, sample }] of rejected) {
              integrationErrors.push({
                message: `${count} event(s) rejected because ${why}`,
                requestId: uuid,
                ...(sample ? { eventTypeSample: sample } : {}),
              })
            }
          }
          return reply.code(200).send({ success: true, uuid })
        },
      )
    },
  })

  return {
    ...base,
    events,
    integrationErrors,
    encodings,
    ...delivered.counts,
    reservedDropped: () => reserved,
  }
}
