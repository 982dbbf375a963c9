import type { FastifyReply } from 'fastify'
import { kit, type StandIn, startStandIn } from './recorder.ts'

/**
 * Elasticsearch / OpenSearch `_bulk` stand-in (POST /_bulk), enforcing the documented contract
 * (https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-bulk,
 * https://docs.opensearch.org/latest/api-reference/document-apis/bulk/):
 *
 * - every response carries `X-Elastic-Product: Elasticsearch` in the elasticsearch flavour (the official
 *   client refuses a server without it); `GET /` answers the cluster info;
 * - auth when configured: `Authorization: ApiKey <encoded>` (elasticsearch flavour) or Basic → else 401
 *   security_exception with WWW-Authenticate;
 * - Content-Type application/x-ndjson or application/json, or (elasticsearch) the vendor type
 *   `application/vnd.elasticsearch+x-ndjson; compatible-with=8|9` → else 406; gzip/deflate bodies decoded;
 * - the (decoded) body over http.max_content_length (100 MB) → 413; an empty body → 400
 *   action_request_validation_exception; a body not ending with "\n" → 400 illegal_argument_exception;
 *   a malformed action line → 400 for the whole request;
 * - per item: `create` of an existing `_id` → 409 version_conflict_engine_exception; an invalid index name
 *   → 400 invalid_index_name_exception; a data stream takes only `create` and needs `@timestamp` → 400;
 *   dynamic mapping: a field first seen as an object/number/boolean refuses another shape later → 400
 *   document_parsing_exception (mapper_parsing_exception for OpenSearch); scripted item faults (e.g. 429
 *   es_rejected_execution_exception for some items). Whole-request faults come from `script`.
 *
 * The response is always the full `_bulk` body (`filter_path` is not applied).
 */

export type Flavor = 'elasticsearch' | 'opensearch'

export interface ElasticsearchStandInOptions {
  flavor?: Flavor
  /** Accepted `ApiKey` credential (elasticsearch flavour). */
  apiKey?: string
  basic?: { username: string; password: string }
  /** http.max_content_length in bytes (default 100 MB). */
  maxContentLength?: number
  /** Names that are data streams rather than indices. */
  dataStreams?: string[]
}

export interface StoredDocument {
  index: string
  id: string
  source: Record<string, unknown>
}

export interface ItemFault {
  status: number
  type?: string
  reason?: string
}

export interface ElasticsearchStandIn extends StandIn {
  flavor: Flavor
  /** Documents stored, in creation order. */
  documents: StoredDocument[]
  get(index: string, id: string): Record<string, unknown> | undefined
  /** Distinct (index, _id) pairs stored. */
  uniqueCount(): number
  /** `create` actions refused with 409 because the document existed. */
  conflicts(): number
  /** Items refused with an error other than 409 (scripted faults included), in order. */
  itemErrors: { index: string; id: string; status: number; type: string }[]
  /** Content-Type and Content-Encoding of every `_bulk` request that passed the header checks. */
  contentTypes: string[]
  encodings: string[]
  /** The next `n` create actions (any document) fail with `fault`. */
  failNextItems(n: number, fault: ItemFault): void
  /** The next `times` create actions for this `_id` fail with `fault`. */
  failItem(id: string, fault: ItemFault, times?: number): void
}

type FieldKind = 'object' | 'string' | 'number' | 'boolean'

const ES_VERSION = '9.1.0'
const OPENSEARCH_VERSION = '3.2.0'
const INVALID_INDEX = /[\\/*?"<>| ,#A-Z:]/
const ACTIONS = new Set(['create', 'index', 'update', 'delete'])

function errorBody(status: number, type: string, reason: string) {
  return { error: { root_cause: [{ type, reason }], type, reason }, status }
}

function sendError(reply: FastifyReply, status: number, type: string, reason: string): FastifyReply {
  return reply.code(status).send(errorBody(status, type, reason))
}

function kindOf(value: unknown): FieldKind | undefined {
  if (value === null || value === undefined) return undefined
  if (typeof value === 'object') return 'object'
  if (typeof value === 'number') return 'number'
  if (typeof value === 'boolean') return 'boolean'
  return 'string'
}

/** Whether a value fits a field dynamically mapped as `mapped` (Elasticsearch coerces numeric strings). */
function fits(mapped: FieldKind, value: unknown): boolean {
  const kind = kindOf(value)
  if (kind === undefined || kind === mapped) return true
  if (mapped === 'object' || kind === 'object') return false
  if (mapped === 'number')
    return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))
  if (mapped === 'boolean') return value === 'true' || value === 'false'
  return true
}

export async function startElasticsearchStandIn(
  options: ElasticsearchStandInOptions = {},
): Promise<ElasticsearchStandIn> {
  const flavor = options.flavor ?? 'elasticsearch'
  const maxContentLength = options.maxContentLength ?? 100 * 1024 * 1024
  const dataStreams = new Set(options.dataStreams ?? [])
  const parsingException =
    flavor === 'elasticsearch' ? 'document_parsing_exception' : 'mapper_parsing_exception'
  const indices = new Map<string, Map<string, Record<string, unknown>>>()
  const mappings = new Map<string, Map<string, FieldKind>>()
  const documents: StoredDocument[] = []
  const itemErrors: ElasticsearchStandIn['itemErrors'] = []
  const contentTypes: string[] = []
  const encodings: string[] = []
  const nextItemFaults: { remaining: number; fault: ItemFault }[] = []
  const idFaults = new Map<string, { remaining: number; fault: ItemFault }>()
  let conflicts = 0
  let seqNo = 0

  const authOk = (header: string | undefined): 'missing' | 'bad' | 'ok' => {
    if (!options.apiKey && !options.basic) return 'ok'
    if (!header) return 'missing'
    if (options.apiKey && flavor === 'elasticsearch' && header === `ApiKey ${options.apiKey}`) return 'ok'
    if (options.basic) {
      const expected = Buffer.from(`${options.basic.username}:${options.basic.password}`).toString('base64')
      if (header === `Basic ${expected}`) return 'ok'
    }
    return 'bad'
  }

  const contentTypeOk = (header: string | undefined): boolean => {
    const value = (header ?? '').toLowerCase().replace(/\s+/g, '')
    const [type, ...params] = value.split(';')
    if (type === 'application/x-ndjson' || type === 'application/json')
      return params.length === 0 || params.every((p) => p.startsWith('charset='))
    if (flavor !== 'elasticsearch') return false
    if (type !== 'application/vnd.elasticsearch+x-ndjson' && type !== 'application/vnd.elasticsearch+json')
      return false
    // A 9.x server speaks REST API compatibility with 8 and 9 only.
    return params.some((p) => p === 'compatible-with=8' || p === 'compatible-with=9')
  }

  /** The mapping conflict a document would cause, as a reason; undefined when it fits. */
  const mappingConflict = (index: string, source: Record<string, unknown>): string | undefined => {
    const mapping = mappings.get(index)
    if (!mapping) return undefined
    const walk = (value: unknown, path: string): string | undefined => {
      const values = Array.isArray(value) ? value : [value]
      for (const v of values) {
        const mapped = mapping.get(path)
        if (mapped && !fits(mapped, v)) {
          return mapped === 'object'
            ? `[1:1] object mapping for [${path}] tried to parse field [${path}] as object, but found a concrete value`
            : `[1:1] failed to parse field [${path}] of type [${mapped}] in document`
        }
        if (kit.isRecord(v)) {
          for (const [key, inner] of Object.entries(v)) {
            const problem = walk(inner, `${path}.${key}`)
            if (problem) return problem
          }
        }
      }
      return undefined
    }
    for (const [key, value] of Object.entries(source)) {
      const problem = walk(value, key)
      if (problem) return problem
    }
    return undefined
  }

  const learnMapping = (index: string, source: Record<string, unknown>) => {
    const mapping = mappings.get(index) ?? new Map<string, FieldKind>()
    mappings.set(index, mapping)
    const walk = (value: unknown, path: string) => {
      for (const v of Array.isArray(value) ? value : [value]) {
        const kind = kindOf(v)
        if (kind && !mapping.has(path)) mapping.set(path, kind)
        if (kit.isRecord(v)) for (const [key, inner] of Object.entries(v)) walk(inner, `${path}.${key}`)
      }
    }
    for (const [key, value] of Object.entries(source)) walk(value, key)
  }

  const takeFault = (id: string): ItemFault | undefined => {
    const byId = idFaults.get(id)
    if (byId) {
      if (--byId.remaining <= 0) idFaults.delete(id)
      return byId.fault
    }
    const next = nextItemFaults[0]
    if (next) {
      if (--next.remaining <= 0) nextItemFaults.shift()
      return next.fault
    }
    return undefined
  }

  const createItem = (index: string, id: string, source: Record<string, unknown>) => {
    const failed = (status: number, type: string, reason: string) => {
      itemErrors.push({ index, id, status, type })
      return { create: { _index: index, _id: id, status, error: { type, reason, index } } }
    }
    if (index === '' || invalidIndexName(index)) {
      return failed(400, 'invalid_index_name_exception', `Invalid index name [${index}]`)
    }
    const fault = takeFault(id)
    if (fault) {
      return failed(
        fault.status,
        fault.type ?? (fault.status === 429 ? 'es_rejected_execution_exception' : 'exception'),
        fault.reason ?? `scripted item failure ${fault.status}`,
      )
    }
    if (dataStreams.has(index) && typeof source['@timestamp'] !== 'string') {
      return failed(400, parsingException, 'data stream timestamp field [@timestamp] is missing')
    }
    const docs = indices.get(index) ?? new Map<string, Record<string, unknown>>()
    if (docs.has(id)) {
      conflicts += 1
      return {
        create: {
          _index: index,
          _id: id,
          status: 409,
          error: {
            type: 'version_conflict_engine_exception',
            reason: `[${id}]: version conflict, document already exists (current version [1])`,
            index,
          },
        },
      }
    }
    const conflict = mappingConflict(index, source)
    if (conflict) return failed(400, parsingException, conflict)
    learnMapping(index, source)
    docs.set(id, source)
    indices.set(index, docs)
    documents.push({ index, id, source })
    return {
      create: {
        _index: index,
        _id: id,
        _version: 1,
        result: 'created',
        _shards: { total: 2, successful: 1, failed: 0 },
        _seq_no: seqNo++,
        _primary_term: 1,
        status: 201,
      },
    }
  }

  const base = await startStandIn({
    faultBody: (status) =>
      errorBody(
        status,
        status === 429 ? 'es_rejected_execution_exception' : 'exception',
        `scripted failure ${status}`,
      ),
    routes(app) {
      app.addHook('onSend', async (_request, reply) => {
        if (flavor === 'elasticsearch') reply.header('x-elastic-product', 'Elasticsearch')
      })

      app.get('/', async () =>
        flavor === 'elasticsearch'
          ? {
              name: 'stand-in',
              cluster_name: 'framewire-test',
              version: { number: ES_VERSION, build_flavor: 'default' },
              tagline: 'You Know, for Search',
            }
          : {
              name: 'stand-in',
              cluster_name: 'framewire-test',
              version: { distribution: 'opensearch', number: OPENSEARCH_VERSION },
              tagline: 'The OpenSearch Project: https://opensearch.org/',
            },
      )

      app.post('/_bulk', async (request, reply: FastifyReply) => {
        const auth = authOk(request.headers.authorization)
        if (auth !== 'ok') {
          reply.header(
            'www-authenticate',
            flavor === 'elasticsearch'
              ? 'Basic realm="security", charset="UTF-8", ApiKey'
              : 'Basic realm="OpenSearch Security"',
          )
          const reason =
            auth === 'missing'
              ? 'missing authentication credentials for REST request [/_bulk]'
              : 'unable to authenticate with provided credentials and anonymous access is not allowed for this request'
          return sendError(reply, 401, 'security_exception', reason)
        }
        const contentType = String(request.headers['content-type'] ?? '')
        if (!contentTypeOk(contentType)) {
          return reply
            .code(406)
            .send({ error: `Content-Type header [${contentType}] is not supported`, status: 406 })
        }
        const encoding = kit.contentEncoding(request.headers)
        const raw = kit.bodyBytes(request)
        const decoded = kit.decodeBody(raw, encoding, maxContentLength)
        if (!decoded.ok && decoded.problem !== 'too large') {
          const why =
            decoded.problem === 'undecodable' ? 'cannot decode body' : `unsupported encoding ${encoding}`
          return sendError(reply, 400, 'illegal_argument_exception', why)
        }
        if (!decoded.ok) {
          return sendError(
            reply,
            413,
            'content_too_long_exception',
            `request body is too large (> ${maxContentLength} bytes)`,
          )
        }
        contentTypes.push(contentType)
        encodings.push(encoding)
        const text = decoded.body.toString('utf8')
        if (text.length === 0) {
          return sendError(
            reply,
            400,
            'action_request_validation_exception',
            'Validation Failed: 1: no requests added;',
          )
        }
        if (!text.endsWith('\n')) {
          return sendError(
            reply,
            400,
            'illegal_argument_exception',
            'The bulk request must be terminated by a newline [\\n]',
          )
        }
        const lines = text.slice(0, -1).split('\n')
        const started = Date.now()
        const items: unknown[] = []
        for (let i = 0; i < lines.length; i++) {
          let action: unknown
          try {
            action = JSON.parse(lines[i] ?? '')
          } catch {
            return sendError(
              reply,
              400,
              'x_content_parse_exception',
              `Malformed action/metadata line [${i + 1}]`,
            )
          }
          const keys = kit.isRecord(action) ? Object.keys(action) : []
          const op = keys[0]
          if (
            keys.length !== 1 ||
            op === undefined ||
            !ACTIONS.has(op) ||
            !kit.isRecord((action as Record<string, unknown>)[op])
          ) {
            return sendError(
              reply,
              400,
              'illegal_argument_exception',
              `Malformed action/metadata line [${i + 1}], expected one of create, index, update, delete`,
            )
          }
          const meta = (action as Record<string, Record<string, unknown>>)[op] ?? {}
          const index = typeof meta._index === 'string' ? meta._index : ''
          const id = typeof meta._id === 'string' ? meta._id : `auto-${seqNo}`
          if (op === 'delete') {
            items.push({ delete: { _index: index, _id: id, status: 404, result: 'not_found' } })
            continue
          }
          i += 1
          let source: unknown
          try {
            source = JSON.parse(lines[i] ?? '')
          } catch {
            source = undefined
          }
          if (!kit.isRecord(source)) {
            return sendError(
              reply,
              400,
              'x_content_parse_exception',
              `[1:1] malformed source on line [${i + 1}]`,
            )
          }
          if (op !== 'create') {
            // Framewire only sends `create`; a data stream refuses anything else, like the real server.
            const status = dataStreams.has(index) ? 400 : 501
            itemErrors.push({ index, id, status, type: 'illegal_argument_exception' })
            items.push({
              [op]: {
                _index: index,
                _id: id,
                status,
                error: {
                  type: 'illegal_argument_exception',
                  reason: dataStreams.has(index)
                    ? `only write ops with an op_type of create are allowed in data streams`
                    : `the stand-in implements only create, not ${op}`,
                },
              },
            })
            continue
          }
          items.push(createItem(index, id, source))
        }
        const errors = items.some((item) => {
          const result = Object.values(item as Record<string, { error?: unknown }>)[0]
          return result?.error !== undefined
        })
        return reply
          .code(200)
          .type('application/json')
          .send({ took: Date.now() - started, errors, items })
      })
    },
  })

  return {
    ...base,
    flavor,
    documents,
    itemErrors,
    contentTypes,
    encodings,
    get: (index, id) => indices.get(index)?.get(id),
    uniqueCount: () => documents.length,
    conflicts: () => conflicts,
    failNextItems(n, fault) {
      nextItemFaults.push({ remaining: n, fault })
    },
    failItem(id, fault, times = 1) {
      idFaults.set(id, { remaining: times, fault })
    },
  }
}

/** Names Elasticsearch refuses: uppercase or forbidden characters, a leading -, _ or +, "." and "..". */
function invalidIndexName(index: string): boolean {
  return INVALID_INDEX.test(index) || /^[-_+]/.test(index) || index === '.' || index === '..'
}
