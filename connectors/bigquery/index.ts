import { BigQuery, type BigQueryOptions, type Table } from '@google-cloud/bigquery'
import { type Static, Type } from '@sinclair/typebox'
import { type BatchItem, defineConnector, type Outcome, type SdkCall } from '../../src/worker/connector.ts'
import { sendPrechecked } from '../../src/worker/http-connector.ts'
import { outcomesForAll } from '../../src/worker/http-outcome.ts'
import { refuseOversized } from '../common/oversized.ts'
import { ConnectorSettings, HttpUrl } from '../common/settings.ts'
import { classifyRequestError, type InsertError, outcomesForInsertErrors } from './response.ts'
import { type BigQueryField, dictionarySchema } from './schema.ts'
import { type InsertAllRow, toInsertAllRow } from './transform.ts'

// https://cloud.google.com/bigquery/quotas#streaming_inserts (tabledata.insertAll): "Maximum rows per
// request: 50,000 rows" ("A maximum of 500 rows is recommended"), "HTTP request size limit: 10 MB",
// "Maximum row size: 10 MB". BigQuery's own 400 names the exact byte limit: "Request payload size exceeds
// the limit: 10485760 bytes." Older pages said 500 rows / 1 MB rows, hence settings.
export const MAX_ROWS_PER_REQUEST = 50_000
export const RECOMMENDED_ROWS_PER_REQUEST = 500
export const MAX_REQUEST_BYTES = 10_485_760
/** `{"kind":"bigquery#tableDataInsertAllRequest","skipInvalidRows":false,"ignoreUnknownValues":false,"rows":[]}` and then some. */
const ENVELOPE_BYTES = 256
const DEFAULT_API_ENDPOINT = 'https://bigquery.googleapis.com'
/** https://cloud.google.com/bigquery/docs/troubleshoot-quotas: after quotaExceeded "wait 10 minutes or longer". */
export const QUOTA_EXCEEDED_PAUSE_MS = 600_000

export const settingsSchema = ConnectorSettings({
  project_id: Type.String({ minLength: 1, description: 'Google Cloud project of the dataset.' }),
  dataset: Type.String({ pattern: '^[A-Za-z0-9_]{1,1024}$', description: 'BigQuery dataset id.' }),
  table: Type.String({ pattern: '^[A-Za-z0-9_-]{1,1024}$', description: 'Table id within the dataset.' }),
  api_endpoint: Type.Optional(
    HttpUrl(
      'Base URL of the BigQuery API (default https://bigquery.googleapis.com); a regional endpoint, a proxy or a test stand-in.',
    ),
  ),
  key_filename: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'Path of a service-account key file. Without it (and without access_token) Application Default Credentials are used: GOOGLE_APPLICATION_CREDENTIALS, workload identity, the metadata server.',
    }),
  ),
  access_token: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'A fixed OAuth 2.0 access token sent as the Bearer token, instead of a key file or ADC. For emulators and stand-ins: Google tokens expire after an hour and are not refreshed.',
    }),
  ),
  create_table: Type.Boolean({
    default: false,
    description:
      'When the table does not exist, create it with the schema generated from the data dictionary (day-partitioned on received_at) and retry. When false, a missing table rejects the events.',
  }),
  skip_invalid_rows: Type.Boolean({
    default: false,
    description:
      'insertAll skipInvalidRows: insert the valid rows of a request even if others are invalid. When false, BigQuery inserts nothing and the valid rows are sent again at once.',
  }),
  ignore_unknown_values: Type.Boolean({
    default: false,
    description:
      'insertAll ignoreUnknownValues: drop fields the table does not have instead of rejecting the row (for tables created with an older dictionary).',
  }),
  max_rows: Type.Integer({
    minimum: 1,
    maximum: MAX_ROWS_PER_REQUEST,
    default: RECOMMENDED_ROWS_PER_REQUEST,
    description: 'Rows per insertAll request; BigQuery allows 50,000 and recommends 500.',
  }),
  max_request_bytes: Type.Integer({
    minimum: 1_024,
    maximum: MAX_REQUEST_BYTES,
    default: 10_000_000,
    description: 'Bytes per insertAll request body; BigQuery refuses more than 10 MB (10485760 bytes).',
  }),
  quota_exceeded_pause_ms: Type.Integer({
    minimum: 0,
    maximum: 3_600_000,
    default: QUOTA_EXCEEDED_PAUSE_MS,
    description:
      'How long the connector pauses after 403 quotaExceeded before probing again (Google: wait 10 minutes or longer).',
  }),
})
export type BigQuerySettings = Static<typeof settingsSchema>

export interface BigQueryResources {
  table: Table
  fields: BigQueryField[]
}

/**
 * An auth client that only adds a fixed Bearer token: google-auth-library calls `getRequestHeaders` on the
 * `authClient` it is given, so no token endpoint or metadata server is ever contacted.
 */
function fixedTokenClient(token: string): BigQueryOptions['authClient'] {
  const client = { getRequestHeaders: async () => new Headers({ authorization: `Bearer ${token}` }) }
  return client as unknown as BigQueryOptions['authClient']
}

/** Creates the table with the dictionary schema; "already exists" is fine (another worker won). */
async function createTable(resources: BigQueryResources): Promise<Outcome> {
  try {
    await resources.table.create({
      schema: { fields: resources.fields },
      timePartitioning: { type: 'DAY', field: 'received_at' },
      clustering: { fields: ['type', 'view_id'] },
      description: 'Player events written by Framewire (schema generated from collectors-schema/).',
    })
  } catch (error) {
    if ((error as { code?: unknown }).code !== 409) {
      return { kind: 'retry', reason: `creating the table failed: ${(error as Error).message}` }
    }
  }
  // BigQuery may still answer 404 for a while after the creation; the runtime's backoff covers that.
  return { kind: 'retry', reason: 'BigQuery 404: the table did not exist; created it', afterMs: 0 }
}

/** The parameters of one tabledata.insertAll call: the request body `table.insert` sends. */
export interface InsertAllParams {
  skipInvalidRows: boolean
  ignoreUnknownValues: boolean
  rows: InsertAllRow[]
}

/** The insertAll call a group of rows becomes: what `send` hands the client, and what `plan` shows. */
export function insertAllCall(
  items: BatchItem<InsertAllRow>[],
  settings: BigQuerySettings,
): SdkCall & { params: InsertAllParams } {
  const base = settings.api_endpoint ?? DEFAULT_API_ENDPOINT
  const { project_id: project, dataset, table } = settings
  return {
    kind: 'sdk',
    client: '@google-cloud/bigquery',
    operation: 'tabledata.insertAll',
    target: `${base}/bigquery/v2/projects/${project}/datasets/${dataset}/tables/${table}/insertAll`,
    params: {
      skipInvalidRows: settings.skip_invalid_rows,
      ignoreUnknownValues: settings.ignore_unknown_values,
      rows: items.map((item) => item.record),
    },
  }
}

/** A row that cannot fit in any request the settings allow: BigQuery would refuse every request carrying it. */
const refusal = (settings: BigQuerySettings) =>
  refuseOversized<InsertAllRow>(
    'BigQuery',
    limitsOf(settings).maxBytes,
    (row) => Buffer.byteLength(JSON.stringify(row)) + 1,
  )

function limitsOf(settings: BigQuerySettings) {
  return { maxItems: settings.max_rows, maxBytes: settings.max_request_bytes - ENVELOPE_BYTES }
}

export default defineConnector<BigQuerySettings, InsertAllRow, BigQueryResources>({
  type: 'bigquery',
  description:
    'Streams player events into a BigQuery table through tabledata.insertAll (insertId = event_id).',
  settingsSchema,
  limits: limitsOf,

  transform: (event) => toInsertAllRow(event, dictionarySchema()),

  async plan(batch, settings) {
    const kept = batch.filter((item) => refusal(settings)(item) === undefined)
    return kept.length === 0 ? [] : [insertAllCall(kept, settings)]
  },

  async open(settings) {
    if (settings.key_filename && settings.access_token) {
      throw new Error('bigquery: set key_filename or access_token, not both')
    }
    const options: BigQueryOptions = {
      projectId: settings.project_id,
      // The runtime owns retries (backoff, Retry-After, pauses, dead letters); the client must not add its own.
      retryOptions: { autoRetry: false, maxRetries: 0 },
    }
    if (settings.api_endpoint) options.apiEndpoint = settings.api_endpoint
    if (settings.key_filename) options.keyFilename = settings.key_filename
    if (settings.access_token) options.authClient = fixedTokenClient(settings.access_token)
    const bigquery = new BigQuery(options)
    return { table: bigquery.dataset(settings.dataset).table(settings.table), fields: dictionarySchema() }
  },

  async send(batch, { settings, resources }) {
    return sendPrechecked(batch, refusal(settings), async (items) => {
      const { rows, ...options } = insertAllCall(items, settings).params
      try {
        await resources.table.insert(rows, { ...options, raw: true, partialRetries: 0 })
        return { outcomes: outcomesForAll(items.length, { kind: 'delivered' }) }
      } catch (error) {
        const insertErrors = (error as { response?: { insertErrors?: InsertError[] } }).response?.insertErrors
        if ((error as Error).name === 'PartialFailureError' && Array.isArray(insertErrors)) {
          return { outcomes: outcomesForInsertErrors(items.length, insertErrors) }
        }
        const failure = classifyRequestError(error, settings.quota_exceeded_pause_ms)
        if (failure.notFound && settings.create_table) {
          return { outcomes: outcomesForAll(items.length, await createTable(resources)) }
        }
        return { outcomes: outcomesForAll(items.length, failure.outcome), tooLarge: failure.tooLarge }
      }
    })
  },
})
