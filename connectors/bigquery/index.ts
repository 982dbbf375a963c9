import { BigQuery, type BigQueryOptions, type Table } from '@google-cloud/bigquery'
import { defineConnector, type Outcome, SKIP } from '../../src/worker/connector.ts'
import { outcomesForAll, sendSplittingOnTooLarge } from '../../src/worker/http-outcome.ts'
import { excludeTypesSetting, httpUrlSetting } from '../common/settings.ts'
import { classifyRequestError, type InsertError, outcomesForInsertErrors } from './response.ts'
import { type BigQueryField, dictionarySchema } from './schema.ts'
import { type InsertAllRow, toInsertAllRow } from './transform.ts'

export interface BigQuerySettings {
  project_id: string
  dataset: string
  table: string
  api_endpoint?: string
  key_filename?: string
  access_token?: string
  create_table: boolean
  skip_invalid_rows: boolean
  ignore_unknown_values: boolean
  max_rows: number
  max_request_bytes: number
  timeout_ms: number
  quota_exceeded_pause_ms: number
  exclude_types: string[]
}

// https://cloud.google.com/bigquery/quotas#streaming_inserts (tabledata.insertAll): "Maximum rows per
// request: 50,000 rows" ("A maximum of 500 rows is recommended"), "HTTP request size limit: 10 MB",
// "Maximum row size: 10 MB". BigQuery's own 400 names the exact byte limit: "Request payload size exceeds
// the limit: 10485760 bytes." Older pages said 500 rows / 1 MB rows, hence settings.
export const MAX_ROWS_PER_REQUEST = 50_000
export const RECOMMENDED_ROWS_PER_REQUEST = 500
export const MAX_REQUEST_BYTES = 10_485_760
/** `{"kind":"bigquery#tableDataInsertAllRequest","skipInvalidRows":false,"ignoreUnknownValues":false,"rows":[]}` and then some. */
const ENVELOPE_BYTES = 256
/** https://cloud.google.com/bigquery/docs/troubleshoot-quotas: after quotaExceeded "wait 10 minutes or longer". */
export const QUOTA_EXCEEDED_PAUSE_MS = 600_000

export const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['project_id', 'dataset', 'table'],
  properties: {
    project_id: { type: 'string', minLength: 1, description: 'Google Cloud project of the dataset.' },
    dataset: { type: 'string', pattern: '^[A-Za-z0-9_]{1,1024}$', description: 'BigQuery dataset id.' },
    table: {
      type: 'string',
      pattern: '^[A-Za-z0-9_-]{1,1024}$',
      description: 'Table id within the dataset.',
    },
    api_endpoint: httpUrlSetting(
      'Base URL of the BigQuery API (default https://bigquery.googleapis.com); a regional endpoint, a proxy or a test stand-in.',
    ),
    key_filename: {
      type: 'string',
      minLength: 1,
      description:
        'Path of a service-account key file. Without it (and without access_token) Application Default Credentials are used: GOOGLE_APPLICATION_CREDENTIALS, workload identity, the metadata server.',
    },
    access_token: {
      type: 'string',
      minLength: 1,
      description:
        'A fixed OAuth 2.0 access token sent as the Bearer token, instead of a key file or ADC. For emulators and stand-ins: Google tokens expire after an hour and are not refreshed.',
    },
    create_table: {
      type: 'boolean',
      default: false,
      description:
        'When the table does not exist, create it with the schema generated from the data dictionary (day-partitioned on received_at) and retry. When false, a missing table rejects the events.',
    },
    skip_invalid_rows: {
      type: 'boolean',
      default: false,
      description:
        'insertAll skipInvalidRows: insert the valid rows of a request even if others are invalid. When false, BigQuery inserts nothing and the valid rows are sent again at once.',
    },
    ignore_unknown_values: {
      type: 'boolean',
      default: false,
      description:
        'insertAll ignoreUnknownValues: drop fields the table does not have instead of rejecting the row (for tables created with an older dictionary).',
    },
    max_rows: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_ROWS_PER_REQUEST,
      default: RECOMMENDED_ROWS_PER_REQUEST,
      description: 'Rows per insertAll request; BigQuery allows 50,000 and recommends 500.',
    },
    max_request_bytes: {
      type: 'integer',
      minimum: 1_024,
      maximum: MAX_REQUEST_BYTES,
      default: 10_000_000,
      description: 'Bytes per insertAll request body; BigQuery refuses more than 10 MB (10485760 bytes).',
    },
    timeout_ms: {
      type: 'integer',
      minimum: 100,
      maximum: 120_000,
      default: 10_000,
      description: 'HTTP timeout of one insertAll request; a timed-out request is retried.',
    },
    quota_exceeded_pause_ms: {
      type: 'integer',
      minimum: 0,
      maximum: 3_600_000,
      default: QUOTA_EXCEEDED_PAUSE_MS,
      description: 'Wait before retrying rows refused with 403 quotaExceeded (Google: 10 minutes or longer).',
    },
    exclude_types: excludeTypesSetting('Event types not inserted (e.g. ["heartbeat"]).'),
  },
} as const

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

export default defineConnector<BigQuerySettings, InsertAllRow, BigQueryResources>({
  type: 'bigquery',
  description:
    'Streams player events into a BigQuery table through tabledata.insertAll (insertId = event_id).',
  settingsSchema,

  limits(settings) {
    return { maxItems: settings.max_rows, maxBytes: settings.max_request_bytes - ENVELOPE_BYTES }
  },

  dedupeKey: (event) => event.event_id,

  transform(event, settings) {
    if (settings.exclude_types.includes(event.type)) return SKIP
    return toInsertAllRow(event, dictionarySchema())
  },

  // The row's JSON plus the separating comma.
  recordBytes: (record) => Buffer.byteLength(JSON.stringify(record)) + 1,

  async open(settings) {
    if (settings.key_filename && settings.access_token) {
      throw new Error('bigquery: set key_filename or access_token, not both')
    }
    const options: BigQueryOptions & { timeout: number } = {
      projectId: settings.project_id,
      // The runtime owns retries (backoff, Retry-After, dead letters); the client must not add its own.
      retryOptions: { autoRetry: false, maxRetries: 0 },
      timeout: settings.timeout_ms,
    }
    if (settings.api_endpoint) options.apiEndpoint = settings.api_endpoint
    if (settings.key_filename) options.keyFilename = settings.key_filename
    if (settings.access_token) options.authClient = fixedTokenClient(settings.access_token)
    const bigquery = new BigQuery(options)
    return { table: bigquery.dataset(settings.dataset).table(settings.table), fields: dictionarySchema() }
  },

  async send(batch, { settings, resources }) {
    return sendSplittingOnTooLarge(batch, async (items) => {
      try {
        await resources.table.insert(
          items.map((item) => item.record),
          {
            raw: true,
            partialRetries: 0,
            skipInvalidRows: settings.skip_invalid_rows,
            ignoreUnknownValues: settings.ignore_unknown_values,
          },
        )
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
