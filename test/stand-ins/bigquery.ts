import type { FastifyReply, FastifyRequest } from 'fastify'
import { kit, type StandIn, startStandIn } from './recorder.ts'

/**
 * BigQuery REST API stand-in for what the streaming connector uses
 * (https://cloud.google.com/bigquery/docs/reference/rest/v2/tabledata/insertAll, …/v2/tables/insert):
 *
 * - every request needs `Authorization: Bearer <token>` → else 401 UNAUTHENTICATED;
 * - POST /bigquery/v2/projects/{p}/datasets/{d}/tables/{t}/insertAll, Content-Type application/json:
 *   - body over 10485760 bytes → 400 "Request payload size exceeds the limit: 10485760 bytes." (badRequest);
 *     over twice that → 413 with the HTML error page of Google's front end (no JSON, no reason);
 *   - more than `maxBytesPerSecond` streamed into the project within the last second (BigQuery: 300 MB/s,
 *     https://cloud.google.com/bigquery/quotas#streaming_inserts) → 413 too, but in Google's JSON error
 *     format with reason rateLimitExceeded: "you may receive a 413 REQUEST ENTITY TOO LARGE status code if
 *     your HTTP requests are larger than 10 MB. You may also receive this error if you exceed 300 MB per
 *     second" (https://cloud.google.com/docs/quotas/troubleshoot);
 *   - no rows → 400 invalid; more than 50,000 rows → 400 "too many rows present in the request, limit: 50000
 *     row count: N.";
 *   - unknown dataset/table → 404 notFound;
 *   - each row's `json` is validated against the table schema like BigQuery does: unknown field (unless
 *     ignoreUnknownValues) → "no such field: x."; REQUIRED missing → "Missing required field: x."; wrong
 *     type → "Cannot convert value to <type>."; row over 10 MB → "Maximum allowed row size exceeded". Invalid
 *     rows get `invalid` insertErrors; unless skipInvalidRows every other row gets `stopped` and nothing is
 *     inserted (200 with insertErrors either way);
 *   - rows whose insertId was seen in the last minute are dropped silently (best effort, as BigQuery);
 *   - rows named by `invalidate(insertIds)` are invalid (`invalid` insertErrors, as a type mismatch would be);
 * - POST /bigquery/v2/projects/{p}/datasets/{d}/tables creates a table (409 duplicate if it exists);
 *   GET …/tables/{t} returns it;
 * - scripted faults (403 quotaExceeded, 5xx…) come from `script`; their body is Google's error format.
 */

export type FieldType = 'STRING' | 'INTEGER' | 'FLOAT' | 'BOOLEAN' | 'TIMESTAMP' | 'RECORD' | 'JSON'

export interface TableField {
  name: string
  type: FieldType
  mode?: 'NULLABLE' | 'REQUIRED' | 'REPEATED'
  fields?: TableField[]
  description?: string
}

export interface StoredTable {
  resource: Record<string, unknown>
  fields: TableField[]
  /** Inserted rows (duplicates by insertId excluded), in order. */
  rows: { insertId?: string; json: Record<string, unknown> }[]
}

export interface BigQueryStandInOptions {
  projectId: string
  /** The OAuth token every request must carry. */
  token: string
  /** Datasets that exist (tables are created in them). */
  datasets: string[]
  maxRequestBytes?: number
  maxRows?: number
  maxRowBytes?: number
  dedupeWindowMs?: number
  /** Streaming throughput of the project, bytes per second (BigQuery: 300 MB/s; default unlimited). */
  maxBytesPerSecond?: number
}

export interface BigQueryStandIn extends StandIn {
  /** What to configure as the connector's api_endpoint. */
  apiEndpoint: string
  createTable(dataset: string, table: string, fields: TableField[]): void
  table(dataset: string, table: string): StoredTable | undefined
  /** Rows dropped because their insertId was seen within the dedupe window. */
  duplicatesDropped(): number
  /** Rows with these insertIds are reported invalid (insertErrors `invalid`; the others `stopped`). */
  invalidate(insertIds: string[]): void
}

interface ErrorProto {
  reason: string
  location: string
  debugInfo: string
  message: string
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
}
const DEFAULT_REASONS: Record<number, string> = {
  403: 'quotaExceeded',
  404: 'notFound',
  429: 'rateLimitExceeded',
  500: 'internalError',
  503: 'backendError',
}

/** Google's JSON error body (https://cloud.google.com/bigquery/docs/error-messages). */
export function googleError(code: number, reason: string, message: string, status?: string) {
  return {
    error: {
      code,
      message,
      errors: [{ message, domain: 'global', reason }],
      status: status ?? STATUS_NAMES[code] ?? 'UNKNOWN',
    },
  }
}

/** The page Google's front end answers a request body far over the API's limit with: HTML, no reason. */
export const FRONT_END_413 =
  '<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 413 (Request Entity Too Large)!!1</title>\n' +
  '  <p><b>413.</b> <ins>That’s an error.</ins>\n  <p>Your client issued a request that was too large.\n' +
  '  <ins>That’s all we know.</ins>\n'

/** The 413 of the streaming throughput quota, as BigQuery words quota errors (troubleshoot-quotas). */
export const throughputError = (projectId: string) =>
  googleError(
    413,
    'rateLimitExceeded',
    `Exceeded rate limits: Your project: ${projectId} exceeded quota for tabledata.insertAll bytes per second. ` +
      'For more information, see https://cloud.google.com/bigquery/docs/troubleshoot-quotas',
    'RESOURCE_EXHAUSTED',
  )

const TIMESTAMP =
  /^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{1,2}(:\d{1,2}(\.\d{1,9})?)?)?(\s*(UTC|Z|[+-]\d{1,2}(:?\d{2})?))?$/

function convertible(type: FieldType, value: unknown): boolean {
  switch (type) {
    case 'STRING':
      return typeof value === 'string'
    case 'INTEGER':
      return Number.isSafeInteger(value) || (typeof value === 'string' && /^-?\d+$/.test(value))
    case 'FLOAT':
      return (
        (typeof value === 'number' && Number.isFinite(value)) ||
        (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
      )
    case 'BOOLEAN':
      return typeof value === 'boolean' || value === 'true' || value === 'false'
    case 'TIMESTAMP':
      return (
        (typeof value === 'number' && Number.isFinite(value)) ||
        (typeof value === 'string' && TIMESTAMP.test(value))
      )
    case 'JSON':
      return typeof value === 'string' && kit.parseJson(Buffer.from(value)).ok
    case 'RECORD':
      return kit.isRecord(value)
  }
}

/** The first problem of a row against `fields`, as BigQuery words it, or undefined. */
function rowProblem(
  json: Record<string, unknown>,
  fields: TableField[],
  ignoreUnknown: boolean,
  prefix = '',
): ErrorProto | undefined {
  const invalid = (location: string, message: string): ErrorProto => ({
    reason: 'invalid',
    location,
    debugInfo: '',
    message,
  })
  const byName = new Map(fields.map((f) => [f.name, f]))
  for (const [name, value] of Object.entries(json)) {
    const path = `${prefix}${name}`
    const field = byName.get(name)
    if (!field) {
      if (ignoreUnknown) continue
      return invalid(path, `no such field: ${path}.`)
    }
    if (value === null) continue
    if (!convertible(field.type, value)) {
      return invalid(path, `Cannot convert value to ${field.type.toLowerCase()}.`)
    }
    if (field.type === 'RECORD') {
      const nested = rowProblem(
        value as Record<string, unknown>,
        field.fields ?? [],
        ignoreUnknown,
        `${path}.`,
      )
      if (nested) return nested
    }
  }
  for (const field of fields) {
    if (field.mode === 'REQUIRED' && (json[field.name] === undefined || json[field.name] === null)) {
      return invalid(`${prefix}${field.name}`, `Missing required field: ${prefix}${field.name}.`)
    }
  }
  return undefined
}

const STOPPED: ErrorProto = { reason: 'stopped', location: '', debugInfo: '', message: '' }

export async function startBigQueryStandIn(options: BigQueryStandInOptions): Promise<BigQueryStandIn> {
  const maxRequestBytes = options.maxRequestBytes ?? 10_485_760
  const maxRows = options.maxRows ?? 50_000
  const maxRowBytes = options.maxRowBytes ?? 10 * 1024 * 1024
  const dedupeWindowMs = options.dedupeWindowMs ?? 60_000
  const datasets = new Set(options.datasets)
  const tables = new Map<string, StoredTable>()
  const insertIds = new Map<string, number>()
  const invalid = new Set<string>()
  const streamed: { at: number; bytes: number }[] = []
  let duplicates = 0
  const key = (dataset: string, table: string) => `${dataset}.${table}`

  const fail = (reply: FastifyReply, code: number, reason: string, message: string) =>
    reply
      .code(code)
      .type('application/json')
      .send(JSON.stringify(googleError(code, reason, message)))

  /** Auth and project checks shared by every route; returns false when it already answered. */
  const admitted = (request: FastifyRequest<{ Params: { projectId: string } }>, reply: FastifyReply) => {
    if (request.headers.authorization !== `Bearer ${options.token}`) {
      fail(
        reply,
        401,
        'authError',
        'Request had invalid authentication credentials. Expected OAuth 2 access token.',
      )
      return false
    }
    if (request.params.projectId !== options.projectId) {
      fail(reply, 404, 'notFound', `Not found: Project ${request.params.projectId}`)
      return false
    }
    return true
  }

  const createTable = (dataset: string, table: string, resource: Record<string, unknown>) => {
    const fields = ((resource.schema as { fields?: TableField[] } | undefined)?.fields ?? []) as TableField[]
    const stored: StoredTable = {
      resource: {
        kind: 'bigquery#table',
        id: `${options.projectId}:${dataset}.${table}`,
        tableReference: { projectId: options.projectId, datasetId: dataset, tableId: table },
        creationTime: String(Date.now()),
        location: 'US',
        ...resource,
      },
      fields,
      rows: [],
    }
    tables.set(key(dataset, table), stored)
    return stored
  }

  /** Records `bytes` streamed now; true when the last second's total is over the throughput quota. */
  const overThroughput = (bytes: number) => {
    if (options.maxBytesPerSecond === undefined) return false
    const now = Date.now()
    while (streamed.length > 0 && now - (streamed[0]?.at ?? now) >= 1_000) streamed.shift()
    const total = streamed.reduce((sum, s) => sum + s.bytes, 0)
    if (total + bytes > options.maxBytesPerSecond) return true
    streamed.push({ at: now, bytes })
    return false
  }

  type TableParams = { projectId: string; datasetId: string; tableId: string }

  const base = await startStandIn({
    faultBody: (status) => googleError(status, DEFAULT_REASONS[status] ?? 'badRequest', `scripted ${status}`),
    routes(app) {
      app.post<{ Params: TableParams }>(
        '/bigquery/v2/projects/:projectId/datasets/:datasetId/tables/:tableId/insertAll',
        async (request, reply) => {
          if (!admitted(request, reply)) return reply
          const { datasetId, tableId } = request.params
          const raw = kit.bodyBytes(request)
          if (raw.length > 2 * maxRequestBytes) return reply.code(413).type('text/html').send(FRONT_END_413)
          if (overThroughput(raw.length)) {
            return reply
              .code(413)
              .type('application/json')
              .send(JSON.stringify(throughputError(options.projectId)))
          }
          if (raw.length > maxRequestBytes) {
            return fail(
              reply,
              400,
              'badRequest',
              `Request payload size exceeds the limit: ${maxRequestBytes} bytes.`,
            )
          }
          if (kit.mediaType(request.headers['content-type']) !== 'application/json') {
            return fail(reply, 400, 'badRequest', 'Invalid JSON payload: expected application/json.')
          }
          const parsed = kit.parseJson(raw)
          if (!parsed.ok || !kit.isRecord(parsed.value)) {
            return fail(reply, 400, 'badRequest', 'Invalid JSON payload received.')
          }
          const body = parsed.value
          const rows = body.rows
          if (!Array.isArray(rows) || rows.length === 0) {
            return fail(reply, 400, 'invalid', 'No rows present in the request.')
          }
          if (rows.length > maxRows) {
            return fail(
              reply,
              400,
              'invalid',
              `too many rows present in the request, limit: ${maxRows} row count: ${rows.length}.`,
            )
          }
          if (!datasets.has(datasetId)) {
            return fail(reply, 404, 'notFound', `Not found: Dataset ${options.projectId}:${datasetId}`)
          }
          const table = tables.get(key(datasetId, tableId))
          if (!table) {
            return fail(
              reply,
              404,
              'notFound',
              `Not found: Table ${options.projectId}:${datasetId}.${tableId}`,
            )
          }

          const problems = rows.map((row): ErrorProto | undefined => {
            if (!kit.isRecord(row) || !kit.isRecord(row.json)) {
              return { reason: 'invalid', location: '', debugInfo: '', message: 'Missing row json.' }
            }
            if (typeof row.insertId === 'string' && invalid.has(row.insertId)) {
              return {
                reason: 'invalid',
                location: 'type',
                debugInfo: '',
                message: 'Cannot convert value to string.',
              }
            }
            const size = Buffer.byteLength(JSON.stringify(row.json))
            if (size > maxRowBytes) {
              return {
                reason: 'invalid',
                location: '',
                debugInfo: '',
                message: `Maximum allowed row size exceeded. Allowed: ${maxRowBytes} Row size: ${size}`,
              }
            }
            return rowProblem(row.json, table.fields, body.ignoreUnknownValues === true)
          })
          const anyInvalid = problems.some((p) => p !== undefined)
          const skipInvalid = body.skipInvalidRows === true
          const insertErrors = problems.flatMap((problem, index) => {
            if (problem) return [{ index, errors: [problem] }]
            return anyInvalid && !skipInvalid ? [{ index, errors: [STOPPED] }] : []
          })

          if (!anyInvalid || skipInvalid) {
            const now = Date.now()
            rows.forEach((row, index) => {
              if (problems[index]) return
              const { insertId, json } = row as { insertId?: unknown; json: Record<string, unknown> }
              if (typeof insertId === 'string') {
                const seen = insertIds.get(insertId)
                if (seen !== undefined && now - seen < dedupeWindowMs) {
                  duplicates++
                  return
                }
                insertIds.set(insertId, now)
                table.rows.push({ insertId, json })
              } else {
                table.rows.push({ json })
              }
            })
          }
          const response: Record<string, unknown> = { kind: 'bigquery#tableDataInsertAllResponse' }
          if (insertErrors.length > 0) response.insertErrors = insertErrors
          return reply.code(200).send(response)
        },
      )

      app.post<{ Params: Omit<TableParams, 'tableId'> }>(
        '/bigquery/v2/projects/:projectId/datasets/:datasetId/tables',
        async (request, reply) => {
          if (!admitted(request, reply)) return reply
          const { datasetId } = request.params
          const parsed = kit.parseJson(kit.bodyBytes(request))
          const resource = parsed.ok && kit.isRecord(parsed.value) ? parsed.value : undefined
          const reference = resource?.tableReference as { tableId?: unknown } | undefined
          if (!resource || typeof reference?.tableId !== 'string') {
            return fail(reply, 400, 'invalid', 'Table reference is required.')
          }
          if (!datasets.has(datasetId)) {
            return fail(reply, 404, 'notFound', `Not found: Dataset ${options.projectId}:${datasetId}`)
          }
          if (tables.has(key(datasetId, reference.tableId))) {
            return fail(
              reply,
              409,
              'duplicate',
              `Already Exists: Table ${options.projectId}:${datasetId}.${reference.tableId}`,
            )
          }
          return reply.code(200).send(createTable(datasetId, reference.tableId, resource).resource)
        },
      )

      app.get<{ Params: TableParams }>(
        '/bigquery/v2/projects/:projectId/datasets/:datasetId/tables/:tableId',
        async (request, reply) => {
          if (!admitted(request, reply)) return reply
          const table = tables.get(key(request.params.datasetId, request.params.tableId))
          if (!table) return fail(reply, 404, 'notFound', `Not found: Table ${request.params.tableId}`)
          return reply.code(200).send(table.resource)
        },
      )
    },
  })

  return {
    ...base,
    apiEndpoint: base.url,
    createTable(dataset, table, fields) {
      datasets.add(dataset)
      createTable(dataset, table, { schema: { fields } })
    },
    table: (dataset, table) => tables.get(key(dataset, table)),
    duplicatesDropped: () => duplicates,
    invalidate(ids) {
      for (const id of ids) invalid.add(id)
    },
  }
}
