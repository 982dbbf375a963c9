import { kit, type RecordedRequest, type StandIn, startStandIn } from './recorder.ts'
import { redeliveries } from './redeliveries.ts'

/**
 * Datadog logs intake stand-in (POST /api/v2/logs), enforcing the documented contract
 * (https://docs.datadoghq.com/api/latest/logs/#send-logs):
 *
 * - DD-API-KEY header: missing → 401, wrong → 403 `{"errors":["Forbidden"]}`;
 * - Content-Encoding gzip or deflate is decoded (undecodable → 400); the decoded payload must be at most
 *   5 MB → else 413; JSON array of objects (or one object) → else 400; more than 1000 entries → 400
 *   (assumption: the docs give the limit but not the status);
 * - success → 202 `{}`. Like Datadog, logs over 1 MB are accepted but truncated, and logs with a timestamp
 *   older than 18 h are accepted but not kept: both are counted so tests can show the silent loss.
 *
 * Datadog does not deduplicate: every accepted log is kept; `uniqueCount()` counts distinct `event_id`
 * attributes and `duplicateCount()` the repeats.
 */

export interface DatadogStandInOptions {
  apiKey: string
  maxPayloadBytes?: number
  maxEntries?: number
  path?: string
}

export interface ReceivedLog {
  log: Record<string, unknown>
  event_id: string | undefined
  duplicate: boolean
  request: RecordedRequest | undefined
}

export interface DatadogStandIn extends StandIn {
  /** `url` + path: what to configure as the connector's `url`. */
  endpoint: string
  /** Logs Datadog would keep, in order (duplicates included and flagged). */
  logs: ReceivedLog[]
  uniqueCount(): number
  duplicateCount(): number
  /** Logs accepted with 202 but truncated (> 1 MB). */
  truncatedCount(): number
  /** Logs accepted with 202 but dropped (timestamp more than 18 h old). */
  staleDroppedCount(): number
  /** Content-Encoding of every accepted request, in order ('identity' when absent). */
  encodings: string[]
}

const MAX_LOG_BYTES = 1_000_000
const MAX_AGE_MS = 18 * 3600 * 1000

export async function startDatadogStandIn(options: DatadogStandInOptions): Promise<DatadogStandIn> {
  const path = options.path ?? '/api/v2/logs'
  const maxPayload = options.maxPayloadBytes ?? 5_000_000
  const maxEntries = options.maxEntries ?? 1000
  const logs: ReceivedLog[] = []
  const delivered = redeliveries()
  const encodings: string[] = []
  let truncated = 0
  let stale = 0

  const base = await startStandIn({
    faultBody: (status) => ({ errors: [status >= 500 ? 'Internal Server Error' : `HTTP ${status}`] }),
    routes(app, recordOf) {
      app.post(path, async (request, reply) => {
        const key = request.headers['dd-api-key']
        if (key === undefined || key === '') return reply.code(401).send({ errors: ['Unauthorized'] })
        if (key !== options.apiKey) return reply.code(403).send({ errors: ['Forbidden'] })

        const type = kit.mediaType(request.headers['content-type'])
        if (type !== 'application/json')
          return reply.code(400).send({ errors: ['Bad Request: expected JSON'] })

        const encoding = kit.contentEncoding(request.headers)
        const raw = kit.bodyBytes(request)
        const decoded = kit.decodeBody(raw, encoding, maxPayload)
        if (!decoded.ok) {
          if (decoded.problem === 'too large') return reply.code(413).send({ errors: ['Payload too large'] })
          const why =
            decoded.problem === 'undecodable' ? 'cannot decode body' : `unsupported encoding ${encoding}`
          return reply.code(400).send({ errors: [`Bad Request: ${why}`] })
        }
        const payload = decoded.body

        const parsed = kit.parseJson(payload)
        if (!parsed.ok) return reply.code(400).send({ errors: ['Bad Request: invalid JSON'] })
        const entries = Array.isArray(parsed.value) ? parsed.value : [parsed.value]
        if (entries.length > maxEntries) {
          return reply.code(400).send({ errors: [`Bad Request: more than ${maxEntries} entries`] })
        }
        if (!entries.every(kit.isRecord))
          return reply.code(400).send({ errors: ['Bad Request: entries must be objects'] })

        encodings.push(encoding)
        const record = recordOf(request)
        const now = Date.now()
        for (const entry of entries as Record<string, unknown>[]) {
          if (Buffer.byteLength(JSON.stringify(entry)) > MAX_LOG_BYTES) truncated += 1
          if (typeof entry.timestamp === 'number' && entry.timestamp < now - MAX_AGE_MS) {
            stale += 1
            continue
          }
          const eventId = typeof entry.event_id === 'string' ? entry.event_id : undefined
          const duplicate = delivered.note(eventId)
          logs.push({ log: entry, event_id: eventId, duplicate, request: record })
        }
        return reply.code(202).send({})
      })
    },
  })

  return {
    ...base,
    endpoint: `${base.url}${path}`,
    logs,
    encodings,
    ...delivered.counts,
    truncatedCount: () => truncated,
    staleDroppedCount: () => stale,
  }
}
