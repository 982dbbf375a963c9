import { type Static, Type } from '@sinclair/typebox'
import type { ConnectorDefinition, Outcome } from '../../src/worker/connector.ts'
import { defineHttpConnector } from '../../src/worker/http-connector.ts'
import { bodyExcerpt, outcomesForAll, tryParseJson } from '../../src/worker/http-outcome.ts'
import { compress } from '../common/compression.ts'
import { ConnectorSettings, HttpUrl, StringEnum } from '../common/settings.ts'
import { type BulkAction, INDEX_PATTERN, toBulkAction } from './transform.ts'

/**
 * The `_bulk` logic shared by the `elasticsearch` and `opensearch` connectors: both servers speak the same
 * NDJSON protocol (https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-bulk,
 * https://docs.opensearch.org/latest/api-reference/document-apis/bulk/). Plain undici on the runtime's
 * keep-alive pool rather than the official clients: see README ("Why not the official client").
 */

export interface BulkProduct {
  type: string
  /** "Elasticsearch" or "OpenSearch", for descriptions and messages. */
  name: string
  description: string
  /** Whether the server takes `Authorization: ApiKey …` (Elasticsearch does, OpenSearch does not). */
  apiKeyAuth: boolean
}

// http.max_content_length defaults to 100mb (binary megabytes) on both servers: a larger request is
// answered 413. https://www.elastic.co/docs/reference/elasticsearch/configuration-reference/networking-settings,
// https://docs.opensearch.org/latest/install-and-configure/configuring-opensearch/network-settings/
export const MAX_CONTENT_LENGTH = 100 * 1024 * 1024
// Elastic advises against bulk requests of more than a couple of tens of megabytes
// (https://www.elastic.co/docs/deploy-manage/production-guidance/optimize-performance/indexing-speed);
// its own bulk helper flushes at 5 MB. Amazon OpenSearch Service caps requests at 10 MiB on small instances
// (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html#network-limits).
export const DEFAULT_REQUEST_BYTES = 5_000_000
export const DEFAULT_ACTIONS = 5000

/** Trimmed `_bulk` response: only what the outcomes need (the server does the filtering). */
const FILTER_PATH = 'errors,items.*.status,items.*.error.type,items.*.error.reason'
/** A `_bulk` response grows with the batch (about 100 bytes an item unfiltered); never cut it short. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024

const basicAuth = {
  username: Type.Optional(Type.String({ minLength: 1, description: 'Basic auth user (with `password`).' })),
  password: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'Basic auth password (with `username`). Interpolate it from the environment.',
    }),
  ),
}

const apiKeyAuth = {
  api_key: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'API key in its encoded form (base64 of "id:api_key", as the create API key call returns it), sent as ' +
        '`Authorization: ApiKey <api_key>`; not together with `username`/`password`. Interpolate it from the ' +
        'environment.',
    }),
  ),
}

function commonSettings(product: BulkProduct) {
  return {
    url: HttpUrl(
      `Base URL of the ${product.name} cluster (a node or a load balancer), e.g. https://search.example.com:9200; \`/_bulk\` is appended.`,
    ),
    index: Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: INDEX_PATTERN,
      default: 'framewire-events-{yyyy.MM.dd}',
      description:
        'Target index, data stream or alias. Placeholders in braces are filled from the event time in UTC ' +
        '(yyyy, MM, dd, HH), e.g. "framewire-events-{yyyy.MM.dd}" gives one index a day. For a data stream, ' +
        'give its name without placeholders.',
    }),
    ...basicAuth,
    compression: StringEnum(['gzip', 'none'] as const, {
      default: 'none',
      description: 'Request body encoding; gzip saves bandwidth (e.g. to a hosted cluster) at some CPU cost.',
    }),
    max_actions: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      default: DEFAULT_ACTIONS,
      description: 'Most documents in one _bulk request.',
    }),
    max_request_bytes: Type.Integer({
      minimum: 1024,
      maximum: MAX_CONTENT_LENGTH,
      default: DEFAULT_REQUEST_BYTES,
      description:
        "Largest _bulk body in bytes (uncompressed). Must stay under the cluster's http.max_content_length " +
        '(default 100mb); a few MB per request index best.',
    }),
  }
}

const bothOrNeither = { dependentRequired: { username: ['password'], password: ['username'] } }

/** Settings of a product with API keys (Elasticsearch): an API key or basic auth, not both. */
function apiKeySchema(product: BulkProduct) {
  return ConnectorSettings(
    { ...commonSettings(product), ...apiKeyAuth },
    {
      ...bothOrNeither,
      dependentSchemas: { api_key: { properties: { username: false, password: false } } },
    },
  )
}

/** Settings of a product with basic auth only (OpenSearch). */
function basicSchema(product: BulkProduct) {
  return ConnectorSettings(commonSettings(product), bothOrNeither)
}

/** Settings of either product; `api_key` is only ever set where the schema offers it. */
export type BulkSettings = Static<ReturnType<typeof apiKeySchema>>

export function bulkSettingsSchema(product: BulkProduct) {
  return product.apiKeyAuth ? apiKeySchema(product) : basicSchema(product)
}

function authorization(settings: BulkSettings): string | undefined {
  if (settings.api_key) return `ApiKey ${settings.api_key}`
  if (settings.username !== undefined && settings.password !== undefined) {
    return `Basic ${Buffer.from(`${settings.username}:${settings.password}`).toString('base64')}`
  }
  return undefined
}

function actionLine(action: BulkAction): string {
  return JSON.stringify({ create: { _index: action.index, _id: action.id } })
}

/** Both NDJSON lines of one action, each ending with the newline _bulk requires (the last one too). */
export function encodeAction(action: BulkAction): string {
  return `${actionLine(action)}\n${JSON.stringify(action.document)}\n`
}

interface BulkItemResult {
  status?: unknown
  error?: { type?: unknown; reason?: unknown } | string
}

function describeError(error: BulkItemResult['error']): string {
  if (typeof error === 'string') return error
  const type = typeof error?.type === 'string' ? error.type : 'error'
  return typeof error?.reason === 'string' ? `${type}: ${error.reason}` : type
}

/**
 * The outcome of one `_bulk` item: 2xx created; 409 on `create` means a document with this `_id` is
 * already in the index (an earlier delivery), so delivered; 429 (es_rejected_execution_exception, a full
 * write queue) and 5xx are retried; any other 4xx (mapping errors, invalid index name…) is rejected.
 */
export function itemOutcome(item: BulkItemResult | undefined, product: string): Outcome {
  const status = typeof item?.status === 'number' ? item.status : undefined
  if (status === undefined) return { kind: 'retry', reason: `${product} _bulk: item without a status` }
  if ((status >= 200 && status < 300) || status === 409) return { kind: 'delivered' }
  const reason = `${product} ${status} ${describeError(item?.error)}`
  if (status === 429 || status >= 500) return { kind: 'retry', reason, status }
  return { kind: 'rejected', reason, status, body: bodyExcerpt(JSON.stringify(item?.error ?? null)) }
}

/** Per-item outcomes of a 200 `_bulk` response, in request order; the whole batch is retried if unreadable. */
export function outcomesFromBulkResponse(text: string, count: number, product: string): Outcome[] {
  const body = tryParseJson(text) as { errors?: unknown; items?: unknown } | undefined
  const items = body?.items
  if (!Array.isArray(items) || items.length !== count) {
    return outcomesForAll(count, {
      kind: 'retry',
      reason: `${product} _bulk: unexpected response (${bodyExcerpt(text, 200)})`,
    })
  }
  if (body?.errors === false) return outcomesForAll(count, { kind: 'delivered' })
  return items.map((entry) => {
    // Each item is keyed by its action: {"create": {"status": 201, …}}.
    const result = entry && typeof entry === 'object' ? Object.values(entry)[0] : undefined
    return itemOutcome(result as BulkItemResult | undefined, product)
  })
}

function bulkUrl(settings: BulkSettings): string {
  return `${settings.url.replace(/\/+$/, '')}/_bulk?filter_path=${FILTER_PATH}`
}

/** A connector type speaking `_bulk`: `elasticsearch` and `opensearch` differ only in `product`. */
export function bulkConnector(product: BulkProduct): ConnectorDefinition<BulkSettings, BulkAction> {
  return defineHttpConnector<BulkSettings, BulkAction>({
    type: product.type,
    description: product.description,
    settingsSchema: bulkSettingsSchema(product),

    limits(settings) {
      return { maxItems: settings.max_actions, maxBytes: settings.max_request_bytes }
    },

    // `create` with _id = event_id: a second delivery of an event is refused with 409 (see itemOutcome).
    transform: (event, settings) => toBulkAction(event, settings.index),

    recordBytes: (action) => Buffer.byteLength(encodeAction(action)),

    async request(items, settings) {
      const headers: Record<string, string> = {
        'content-type': 'application/x-ndjson',
        accept: 'application/json',
      }
      const auth = authorization(settings)
      if (auth) headers.authorization = auth
      if (settings.compression === 'gzip') headers['content-encoding'] = 'gzip'
      const ndjson = items.map((item) => encodeAction(item.record)).join('')
      return {
        url: bulkUrl(settings),
        headers,
        body: await compress(ndjson, settings.compression),
        maxResponseBytes: MAX_RESPONSE_BYTES,
      }
    },

    // 200 is read item by item. Otherwise the generic mapping: 413 (over http.max_content_length) splits;
    // 401 (security_exception: unknown user, wrong password, invalid or expired API key) and 403 (the user
    // or key lacks the index privileges for bulk writes) pause until the credentials or roles are fixed
    // (https://www.elastic.co/docs/deploy-manage/users-roles/cluster-or-deployment-auth,
    // https://docs.opensearch.org/latest/security/access-control/permissions/); 429 (the whole request
    // rejected) and 5xx are retried; other 4xx are rejected.
    classify(res, items) {
      if (res.statusCode !== 200) return undefined
      return { outcomes: outcomesFromBulkResponse(res.text, items.length, product.name) }
    },
  })
}
