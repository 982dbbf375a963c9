import { gunzipSync } from 'node:zlib'
import { kit, type RecordedRequest, type StandIn, startStandIn } from './recorder.ts'

/**
 * Mixpanel Import API stand-in (POST /import), enforcing the documented contract
 * (https://developer.mixpanel.com/reference/import-events, docs.mixpanel.com/troubleshooting/errors/…):
 *
 * - HTTP Basic service account + `project_id` query, else 401 `{code:401,error:"Invalid credentials"}`;
 * - Content-Type application/json (array) or application/x-ndjson; gzip bodies are decoded;
 * - over 10 MiB uncompressed, more than 2000 events, or one event of 1 MiB or more → 413;
 * - with `strict=1`, each event is validated: `event` name, integer `time` (s or ms) between 1971-01-01 and
 *   now + 1 h, `distinct_id` string not in the refused list, `$insert_id` ≤ 36 `[A-Za-z0-9-]`, fewer than 255
 *   properties, nested objects of fewer than 255 keys and at most 3 levels, arrays of fewer than 255 items.
 *   Invalid events are listed in `failed_records` of a 400, and the valid ones ARE ingested (partial success);
 *   without strict, invalid events are dropped silently with a 200;
 * - success → 200 `{code:200,num_records_imported,status:"OK"}`. Strings are truncated to 255 characters;
 *   duplicates of (event, time, distinct_id, $insert_id) count once (`duplicatesDropped()`).
 */

export interface MixpanelStandInOptions {
  projectId: string
  username: string
  secret: string
  maxEvents?: number
  maxBytes?: number
}

export interface MixpanelIngested {
  event: string
  properties: Record<string, unknown>
  request: RecordedRequest | undefined
}

export interface MixpanelStandIn extends StandIn {
  /** What to configure as the connector's `server_url`. */
  endpoint: string
  ingested: MixpanelIngested[]
  /** Distinct $insert_ids ingested. */
  uniqueCount(): number
  duplicatesDropped(): number
  /** Events dropped without strict=1. */
  silentlyDropped(): number
  /** Events with these $insert_ids fail validation (listed in `failed_records`, the others are ingested). */
  invalidate(insertIds: string[]): void
}

const INVALID_IDS = new Set([
  '00000000-0000-0000-0000-000000000000',
  'anon',
  'anonymous',
  'nil',
  'none',
  'null',
  'n/a',
  'na',
  'undefined',
  'unknown',
  '<nil>',
  '0',
  '-1',
  'true',
  'false',
  '[]',
  '{}',
])
const MIN_TIME_MS = Date.UTC(1971, 0, 1)
const MiB = 1024 * 1024

/** The first shape problem of a nested value, as [field, message]. */
function shapeProblem(value: unknown, path: string, depth: number): [string, string] | undefined {
  if (Array.isArray(value)) {
    if (value.length >= 255) return [path, `'${path}' is invalid: arrays must have fewer than 255 elements`]
    for (const item of value) {
      const problem = shapeProblem(item, path, depth)
      if (problem) return problem
    }
    return undefined
  }
  if (!kit.isRecord(value)) return undefined
  if (depth > 3) return [path, `'${path}' is invalid: max nesting depth is 3`]
  if (Object.keys(value).length >= 255)
    return [path, `'${path}' is invalid: objects must have fewer than 255 keys`]
  for (const [key, item] of Object.entries(value)) {
    const problem = shapeProblem(item, `${path}.${key}`, depth + 1)
    if (problem) return problem
  }
  return undefined
}

function truncateStrings(value: unknown): unknown {
  if (typeof value === 'string') return value.slice(0, 255)
  if (Array.isArray(value)) return value.map(truncateStrings)
  if (kit.isRecord(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, truncateStrings(v)]))
  return value
}

/** Why Mixpanel refuses one event, as [field, message], or undefined. */
function eventProblem(event: unknown, now: number): [string, string] | undefined {
  if (!kit.isRecord(event)) return ['', 'event must be a JSON object']
  if (typeof event.event !== 'string' || event.event === '') return ['event', "'event' is required"]
  const p = event.properties
  if (!kit.isRecord(p)) return ['properties', "'properties' is required"]
  if (typeof p.time !== 'number' || !Number.isInteger(p.time)) {
    return ['properties.time', "'properties.time' is invalid: must be specified as seconds since epoch"]
  }
  const ms = p.time < 1e11 ? p.time * 1000 : p.time
  if (ms < MIN_TIME_MS || ms > now + 3_600_000) {
    return [
      'properties.time',
      "'properties.time' is invalid: must be after 1971-01-01 and at most 1 hour in the future",
    ]
  }
  if (typeof p.distinct_id !== 'string' || INVALID_IDS.has(p.distinct_id.toLowerCase())) {
    return ['properties.distinct_id', "'properties.distinct_id' is invalid"]
  }
  const insertId = p.$insert_id
  if (
    typeof insertId !== 'string' ||
    !/^[A-Za-z0-9-]{1,36}$/.test(insertId) ||
    INVALID_IDS.has(insertId.toLowerCase())
  ) {
    return [
      'properties.$insert_id',
      "'properties.$insert_id' is invalid: ≤ 36 alphanumeric or '-' characters",
    ]
  }
  if (Object.keys(p).length >= 255)
    return ['properties', "'properties' is invalid: must have fewer than 255 properties"]
  for (const [key, value] of Object.entries(p)) {
    const problem = shapeProblem(value, `properties.${key}`, 1)
    if (problem) return problem
  }
  return undefined
}

export async function startMixpanelStandIn(options: MixpanelStandInOptions): Promise<MixpanelStandIn> {
  const maxEvents = options.maxEvents ?? 2000
  const maxBytes = options.maxBytes ?? 10 * MiB
  const expectedAuth = `Basic ${Buffer.from(`${options.username}:${options.secret}`).toString('base64')}`
  const ingested: MixpanelIngested[] = []
  const keys = new Set<string>()
  const insertIds = new Set<string>()
  let duplicates = 0
  let silent = 0
  const invalidInsertIds = new Set<string>()

  const base = await startStandIn({
    faultBody: (status) => ({ code: status, error: `HTTP ${status}`, status: 'Error' }),
    routes(app, recordOf) {
      app.post('/import', async (request, reply) => {
        const query = request.query as Record<string, string | undefined>
        const tooLarge = (limit: string) =>
          reply.code(413).send({
            code: 413,
            error: `request exceeds max limit of ${limit}`,
            status: 'Request Entity Too Large',
          })
        const bad = (error: string) => reply.code(400).send({ code: 400, error, status: 'Bad Request' })

        if (request.headers.authorization !== expectedAuth || query.project_id !== options.projectId) {
          return reply.code(401).send({ code: 401, error: 'Invalid credentials', status: 'Unauthorized' })
        }
        const type = kit.mediaType(request.headers['content-type'])
        if (type !== 'application/json' && type !== 'application/x-ndjson')
          return bad('unsupported Content-Type')
        let raw = kit.bodyBytes(request)
        if (request.headers['content-encoding'] === 'gzip') {
          try {
            raw = gunzipSync(raw)
          } catch {
            return bad('unable to decompress gzip body')
          }
        }
        if (raw.length > maxBytes) return tooLarge(`${maxBytes} bytes`)
        let events: unknown[]
        if (type === 'application/x-ndjson') {
          const lines = raw
            .toString('utf8')
            .split('\n')
            .filter((line) => line.trim() !== '')
          const parsed = lines.map((line) => kit.parseJson(Buffer.from(line)))
          if (parsed.some((p) => !p.ok)) return bad('unable to parse ndjson body')
          events = parsed.map((p) => (p.ok ? p.value : undefined))
        } else {
          const parsed = kit.parseJson(raw)
          if (!parsed.ok) return bad('unable to parse JSON body')
          events = Array.isArray(parsed.value) ? parsed.value : [parsed.value]
        }
        if (events.length === 0) return bad('no events in the request')
        if (events.length > maxEvents) return tooLarge(`${maxEvents} events`)
        if (events.some((event) => Buffer.byteLength(JSON.stringify(event)) >= MiB))
          return tooLarge('1 MiB per event')

        const now = Date.now()
        const strict = query.strict === '1'
        const failed: { index: number; $insert_id: unknown; field: string; message: string }[] = []
        const record = recordOf(request)
        let imported = 0
        events.forEach((event, index) => {
          const props = kit.isRecord(event) && kit.isRecord(event.properties) ? event.properties : {}
          const problem: [string, string] | undefined = invalidInsertIds.has(props.$insert_id as string)
            ? ['properties', "'properties' is invalid: a property value has the wrong type"]
            : eventProblem(event, now)
          if (problem) {
            if (strict) {
              failed.push({ index, $insert_id: props.$insert_id, field: problem[0], message: problem[1] })
            } else {
              silent += 1
            }
            return
          }
          imported += 1
          const e = event as { event: string; properties: Record<string, unknown> }
          const key = JSON.stringify([
            e.event,
            e.properties.time,
            e.properties.distinct_id,
            e.properties.$insert_id,
          ])
          if (keys.has(key)) {
            duplicates += 1
            return
          }
          keys.add(key)
          insertIds.add(e.properties.$insert_id as string)
          ingested.push({
            event: e.event,
            properties: truncateStrings(e.properties) as Record<string, unknown>,
            request: record,
          })
        })
        if (failed.length > 0) {
          return reply.code(400).send({
            code: 400,
            error: 'some data points in the request failed validation',
            failed_records: failed,
            num_records_imported: imported,
            status: 'Bad Request',
          })
        }
        return reply.code(200).send({ code: 200, num_records_imported: imported, status: 'OK' })
      })
    },
  })

  return {
    ...base,
    endpoint: `${base.url}/import`,
    ingested,
    uniqueCount: () => insertIds.size,
    duplicatesDropped: () => duplicates,
    silentlyDropped: () => silent,
    invalidate(ids) {
      for (const id of ids) invalidInsertIds.add(id)
    },
  }
}
