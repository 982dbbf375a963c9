import { gunzipSync } from 'node:zlib'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { kit, type RecordedRequest, type StandIn, startStandIn } from './recorder.ts'
import { redeliveries } from './redeliveries.ts'

/**
 * Splunk HTTP Event Collector stand-in, enforcing the documented contract
 * (https://docs.splunk.com/Documentation/Splunk/latest/Data/FormateventsforHTTPEventCollector, status codes
 * from https://docs.splunk.com/Documentation/Splunk/latest/Data/TroubleshootHTTPEventCollector):
 *
 * - POST /services/collector/event (and /services/collector, /event/1.0); `Authorization: Splunk <token>`:
 *   missing → 401 code 2, another scheme → 401 code 3, unknown token → 403 code 4, disabled → 403 code 1;
 * - Content-Encoding gzip is decoded (anything else → 415); a body over `maxContentLength` → 413; an
 *   empty body → 400 code 5;
 * - the body is JSON objects one after another (not an array). Object N refused → 400 with
 *   `invalid-event-number` N: not an object/invalid JSON or `time` not numeric → code 6, no `event` →
 *   code 12, a blank `event` → code 13, `fields` values other than strings or string arrays → code 15, an
 *   `index` outside the token's allowed indexes → code 7. Objects before N are indexed, the rest not (what
 *   Splunk was observed to do; its docs do not say);
 * - success → 200 `{"text":"Success","code":0}`. With `ack: true` the token needs a data channel
 *   (`X-Splunk-Request-Channel` header or `?channel=`): missing → 400 code 10, not a GUID → 400 code 11;
 *   the answer carries an `ackId` (counted per channel from 0), and POST /services/collector/ack
 *   `{"acks":[…]}` answers `{"acks":{"<id>":true|false}}`, `false` until the indexing lag has passed, and
 *   forgets an id once it answered true. A channel with too many acks pending a query answers 503 code 9
 *   "Server is busy". Without ack, /ack answers 400 code 14.
 *
 * HEC does not deduplicate: every accepted event is kept; `uniqueCount()` counts distinct event_ids.
 * `dropNextAcks(n)` makes the next n acknowledged requests get lost in the pipeline (their events are not
 * kept and their ackId never turns true), which is exactly what indexer acknowledgment protects against.
 */

export interface SplunkStandInOptions {
  token: string
  /** Indexes the token may write to; an envelope naming another → code 7. Default: any. */
  allowedIndexes?: string[]
  /** Indexer acknowledgment enabled on the token. */
  ack?: boolean
  /** An ackId turns true this long after its request: the indexing lag (default 1500 ms). */
  ackDelayMs?: number
  /**
   * max_number_of_acked_requests_pending_query_per_ack_channel (inputs.conf [http]): past this many requests
   * whose ack was not yet queried true, a request on that channel is answered 503 code 9 (default 1,000,000).
   */
  maxPendingAcksPerChannel?: number
  /** [http_input] max_content_length in bytes (default 1,000,000, Splunk Cloud's HEC limit). */
  maxContentLength?: number
  /** Tokens known but disabled (→ 403 code 1). */
  disabledTokens?: string[]
}

export interface IndexedEvent {
  envelope: Record<string, unknown>
  event: unknown
  event_id: string | undefined
  duplicate: boolean
  request: RecordedRequest | undefined
}

export interface SplunkStandIn extends StandIn {
  /** Events Splunk indexed, in order (duplicates included and flagged). */
  indexed: IndexedEvent[]
  uniqueCount(): number
  duplicateCount(): number
  /** Requests to /services/collector/ack. */
  ackQueries(): number
  /** The next `n` acknowledged requests are lost after the 200: not indexed, never acknowledged. */
  dropNextAcks(n: number): void
  /** Content-Encoding of every accepted event request ('identity' when absent). */
  encodings: string[]
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

interface Pending {
  readyAt: number
  lost: boolean
}

function hec(
  reply: FastifyReply,
  status: number,
  text: string,
  code: number,
  extra: Record<string, unknown> = {},
) {
  return reply
    .code(status)
    .type('application/json')
    .send({ text, code, ...extra })
}

/** Splits concatenated JSON values; each entry is the parsed value or undefined when it is not valid JSON. */
export function splitConcatenatedJson(text: string): unknown[] {
  const values: unknown[] = []
  let i = 0
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i] ?? '')) i++
    if (i >= text.length) break
    if (text[i] !== '{') {
      values.push(undefined)
      return values
    }
    let depth = 0
    let inString = false
    let end = -1
    for (let j = i; j < text.length; j++) {
      const c = text[j]
      if (inString) {
        if (c === '\\') j++
        else if (c === '"') inString = false
      } else if (c === '"') inString = true
      else if (c === '{') depth++
      else if (c === '}' && --depth === 0) {
        end = j
        break
      }
    }
    if (end < 0) {
      values.push(undefined)
      return values
    }
    try {
      values.push(JSON.parse(text.slice(i, end + 1)))
    } catch {
      values.push(undefined)
      return values
    }
    i = end + 1
  }
  return values
}

const isBlank = (value: unknown) => typeof value === 'string' && value.trim() === ''
const isNumeric = (value: unknown) =>
  (typeof value === 'number' && Number.isFinite(value)) ||
  (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))

/** The HEC code refusing one envelope, or undefined when it is fine. */
function refusal(envelope: unknown, allowedIndexes: Set<string> | undefined): [number, string] | undefined {
  if (!kit.isRecord(envelope)) return [6, 'Invalid data format']
  if (!('event' in envelope)) return [12, 'Event field is required']
  const event = envelope.event
  if (isBlank(event)) return [13, 'Event field cannot be blank']
  if (event === null || event === false) return [6, 'Invalid data format']
  if ('time' in envelope && !isNumeric(envelope.time)) return [6, 'Invalid data format']
  if ('fields' in envelope) {
    const fields = envelope.fields
    const ok =
      kit.isRecord(fields) &&
      Object.values(fields).every(
        (v) => typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')),
      )
    if (!ok) return [15, 'Error in handling indexed fields']
  }
  if (allowedIndexes && typeof envelope.index === 'string' && !allowedIndexes.has(envelope.index)) {
    return [7, 'Incorrect index']
  }
  return undefined
}

// Indexing usually takes a second or a few: HEC answers false until then
// (https://docs.splunk.com/Documentation/Splunk/latest/Data/AboutHECIDXAck).
const DEFAULT_ACK_DELAY_MS = 1500

export async function startSplunkStandIn(options: SplunkStandInOptions): Promise<SplunkStandIn> {
  const maxContentLength = options.maxContentLength ?? 1_000_000
  const ackDelayMs = options.ackDelayMs ?? DEFAULT_ACK_DELAY_MS
  const maxPendingAcks = options.maxPendingAcksPerChannel ?? 1_000_000
  const allowedIndexes = options.allowedIndexes ? new Set(options.allowedIndexes) : undefined
  const disabled = new Set(options.disabledTokens ?? [])
  const indexed: IndexedEvent[] = []
  const delivered = redeliveries()
  const encodings: string[] = []
  const channels = new Map<string, { next: number; pending: Map<number, Pending> }>()
  let dropAcks = 0
  let ackQueries = 0

  /** undefined when authorized, else the reply already sent. */
  const authorize = (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization
    if (!header) return hec(reply, 401, 'Token is required', 2)
    const match = /^Splunk (.+)$/.exec(header)
    if (!match) return hec(reply, 401, 'Invalid authorization', 3)
    if (disabled.has(match[1] ?? '')) return hec(reply, 403, 'Token disabled', 1)
    if (match[1] !== options.token) return hec(reply, 403, 'Invalid token', 4)
    return undefined
  }

  const channelOf = (request: FastifyRequest): string | undefined => {
    const header = request.headers['x-splunk-request-channel']
    const query = (request.query as Record<string, string | undefined>).channel
    return (Array.isArray(header) ? header[0] : header) ?? query
  }

  const base = await startStandIn({
    faultBody: (status) =>
      status === 503
        ? { text: 'Server is busy', code: 9 }
        : status >= 500
          ? { text: 'Internal server error', code: 8 }
          : { text: `scripted ${status}`, code: -1 },
    routes(app, recordOf) {
      const events = async (request: FastifyRequest, reply: FastifyReply) => {
        const refused = authorize(request, reply)
        if (refused) return refused
        let channel: string | undefined
        if (options.ack) {
          channel = channelOf(request)
          if (!channel) return hec(reply, 400, 'Data channel is missing', 10)
          if (!GUID.test(channel)) return hec(reply, 400, 'Invalid data channel', 11)
          if ((channels.get(channel)?.pending.size ?? 0) >= maxPendingAcks) {
            return hec(reply, 503, 'Server is busy', 9)
          }
        }
        const raw = kit.bodyBytes(request)
        if (raw.length > maxContentLength) {
          return reply
            .code(413)
            .type('text/plain')
            .send(`Content-Length of ${raw.length} too large (maximum is ${maxContentLength})`)
        }
        const encoding = kit.contentEncoding(request.headers)
        let body: string
        if (encoding === 'gzip') {
          try {
            body = gunzipSync(raw).toString('utf8')
          } catch {
            return hec(reply, 400, 'Invalid data format', 6)
          }
        } else if (encoding === 'identity') body = raw.toString('utf8')
        else return reply.code(415).type('text/html').send('<html>Unsupported Media Type</html>')
        if (body.trim() === '') return hec(reply, 400, 'No data', 5)
        encodings.push(encoding)

        const record = recordOf(request)
        const keep = (envelopes: unknown[]) => {
          for (const envelope of envelopes as Record<string, unknown>[]) {
            const event = envelope.event
            const eventId =
              kit.isRecord(event) && typeof event.event_id === 'string' ? event.event_id : undefined
            const duplicate = delivered.note(eventId)
            indexed.push({ envelope, event, event_id: eventId, duplicate, request: record })
          }
        }
        const envelopes = splitConcatenatedJson(body)
        const invalid = envelopes.findIndex((envelope) => refusal(envelope, allowedIndexes) !== undefined)
        if (invalid >= 0) {
          keep(envelopes.slice(0, invalid))
          const [code, text] = refusal(envelopes[invalid], allowedIndexes) ?? [6, 'Invalid data format']
          return hec(reply, 400, text, code, { 'invalid-event-number': invalid })
        }
        let ackId: number | undefined
        let lost = false
        if (channel) {
          const state = channels.get(channel) ?? { next: 0, pending: new Map<number, Pending>() }
          channels.set(channel, state)
          lost = dropAcks > 0
          if (lost) dropAcks -= 1
          ackId = state.next++
          state.pending.set(ackId, { readyAt: Date.now() + ackDelayMs, lost })
        }
        if (!lost) keep(envelopes)
        return hec(reply, 200, 'Success', 0, ackId === undefined ? {} : { ackId })
      }
      app.post('/services/collector', events)
      app.post('/services/collector/event', events)
      app.post('/services/collector/event/1.0', events)

      app.post('/services/collector/ack', async (request, reply) => {
        ackQueries += 1
        const refused = authorize(request, reply)
        if (refused) return refused
        if (!options.ack) return hec(reply, 400, 'ACK is disabled', 14)
        const channel = channelOf(request)
        if (!channel) return hec(reply, 400, 'Data channel is missing', 10)
        if (!GUID.test(channel)) return hec(reply, 400, 'Invalid data channel', 11)
        let query: unknown
        try {
          query = JSON.parse(Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '')
        } catch {
          return hec(reply, 400, 'Invalid data format', 6)
        }
        const ids = kit.isRecord(query) && Array.isArray(query.acks) ? query.acks : undefined
        if (!ids?.every((id) => Number.isInteger(id))) return hec(reply, 400, 'Invalid data format', 6)
        const pending = channels.get(channel)?.pending
        const acks: Record<string, boolean> = {}
        for (const id of ids as number[]) {
          const entry = pending?.get(id)
          const done = entry !== undefined && !entry.lost && Date.now() >= entry.readyAt
          acks[String(id)] = done
          if (done) pending?.delete(id)
        }
        return reply.code(200).type('application/json').send({ acks })
      })
    },
  })

  return {
    ...base,
    indexed,
    encodings,
    ...delivered.counts,
    ackQueries: () => ackQueries,
    dropNextAcks(n) {
      dropAcks += n
    },
  }
}
