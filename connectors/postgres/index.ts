import { type Static, Type } from '@sinclair/typebox'
import { Pool } from 'pg'
import type { Logger } from 'pino'
import { type BatchItem, defineConnector, type Outcome, type SdkCall } from '../../src/worker/connector.ts'
import { bodyExcerpt, outcomesForAll } from '../../src/worker/http-outcome.ts'
import { ConnectorSettings } from '../common/settings.ts'
import { classifySqlError, describeSqlError } from './errors.ts'
import { createTableSql, insertQuery, type PostgresRow, type SqlQuery, type TableName, toRow } from './sql.ts'

/** The batch is one jsonb parameter; PostgreSQL allows 1 GB per value, this keeps a statement short. */
export const MAX_BATCH_BYTES = 16 * 1024 * 1024

// Unquoted-identifier style names; 40 characters leave room for the index-name suffixes within 63.
const IDENTIFIER = '^[a-z_][a-z0-9_]{0,39}$'

export const settingsSchema = ConnectorSettings({
  connection_string: Type.String({
    pattern: '^postgres(ql)?://',
    description:
      'libpq-style URL, e.g. postgres://framewire@db.internal:5432/analytics?sslmode=verify-full. Keep the ' +
      'password out of the file: interpolate an environment variable.',
  }),
  schema: Type.String({
    pattern: IDENTIFIER,
    default: 'public',
    description: 'Schema of the events table (created with the table when it is not public).',
  }),
  table: Type.String({
    pattern: IDENTIFIER,
    default: 'framewire_events',
    description: 'Name of the events table.',
  }),
  create_table: Type.Boolean({
    default: true,
    description:
      'Create the table and its indexes on first use (CREATE TABLE IF NOT EXISTS, see README). When false ' +
      'the table must exist, and a missing table rejects the events.',
  }),
  pool_size: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 4,
    description: 'Connections in the pool; at least batching.max_in_flight to use every slot.',
  }),
  statement_timeout_ms: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 10_000,
    description: 'Server-side statement_timeout of the connections; a timed-out insert is retried.',
  }),
  connect_timeout_ms: Type.Integer({
    minimum: 100,
    maximum: 60_000,
    default: 5_000,
    description: 'Give up connecting after this many milliseconds (the batch is then retried).',
  }),
  max_rows: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 1_000,
    description: 'Most rows in one INSERT statement.',
  }),
})
export type PostgresSettings = Static<typeof settingsSchema>

const tableOf = (settings: PostgresSettings): TableName => ({
  schema: settings.schema,
  table: settings.table,
})

/** The server and database of the connection string, without user or password (for `plan`). */
function serverOf(connectionString: string): string {
  const url = new URL(connectionString)
  return `${url.protocol}//${url.host}${url.pathname}`
}

/** A statement as `plan` shows it: exactly the query node-postgres gets. */
function sqlCall(settings: PostgresSettings, operation: string, query: SqlQuery): SdkCall {
  return {
    kind: 'sdk',
    client: 'pg (PostgreSQL)',
    operation,
    target: serverOf(settings.connection_string),
    params: query,
  }
}

/** The pool plus the table state, one per connector instance. */
export class PostgresWriter {
  readonly pool: Pool
  readonly #name: TableName
  readonly #createTable: boolean
  #tableReady: Promise<void> | undefined

  constructor(settings: PostgresSettings, instance: string, log: Logger) {
    this.#name = tableOf(settings)
    this.#createTable = settings.create_table
    this.pool = new Pool({
      connectionString: settings.connection_string,
      max: settings.pool_size,
      connectionTimeoutMillis: settings.connect_timeout_ms,
      statement_timeout: settings.statement_timeout_ms,
      // Client-side guard for a server that stops answering without closing the socket.
      query_timeout: settings.statement_timeout_ms + 5_000,
      keepAlive: true,
      application_name: `framewire/${instance}`,
    })
    // An idle connection killed by a server restart is reported here; without a listener it would crash
    // the process. The pool drops it and opens a new one on the next query.
    this.pool.on('error', (err) => log.warn({ err }, 'idle PostgreSQL connection lost'))
  }

  /** Inserts the rows with one statement; duplicates of existing event_ids are skipped. */
  async insert(rows: PostgresRow[]): Promise<void> {
    await this.#ensureTable()
    await this.pool.query(insertQuery(this.#name, rows))
  }

  /** The table disappeared: create it again before the next insert (if allowed). */
  forgetTable(): void {
    this.#tableReady = undefined
  }

  get createsTable(): boolean {
    return this.#createTable
  }

  #ensureTable(): Promise<void> {
    if (!this.#createTable) return Promise.resolve()
    this.#tableReady ??= this.pool.query(createTableSql(this.#name)).then(
      () => undefined,
      (error: unknown) => {
        this.#tableReady = undefined
        throw error
      },
    )
    return this.#tableReady
  }
}

/** The outcome of every row of a statement that failed with `error`. */
function outcomeFor(error: unknown, writer: PostgresWriter): Outcome {
  const reason = describeSqlError(error)
  switch (classifySqlError(error)) {
    case 'credentials':
      return { kind: 'paused', cause: 'credentials', reason }
    case 'missing_table':
      if (!writer.createsTable) return { kind: 'rejected', reason }
      writer.forgetTable()
      return { kind: 'retry', reason, afterMs: 0 }
    case 'reject':
    case 'data':
      return { kind: 'rejected', reason, body: bodyExcerpt(detailOf(error)) }
    case 'retry':
      return { kind: 'retry', reason }
  }
}

function detailOf(error: unknown): string {
  const { detail, where, column } = error as { detail?: string; where?: string; column?: string }
  return [detail, column && `column ${column}`, where].filter(Boolean).join('; ')
}

/**
 * After a data error the statement inserted nothing. Each row is inserted on its own so only the bad ones
 * are rejected; ON CONFLICT keeps this safe if a row was in fact written before.
 */
async function insertOneByOne(items: BatchItem<PostgresRow>[], writer: PostgresWriter): Promise<Outcome[]> {
  const outcomes: Outcome[] = []
  for (const item of items) {
    try {
      await writer.insert([item.record])
      outcomes.push({ kind: 'delivered' })
    } catch (error) {
      outcomes.push(outcomeFor(error, writer))
    }
  }
  return outcomes
}

export default defineConnector<PostgresSettings, PostgresRow, PostgresWriter>({
  type: 'postgres',
  description: 'Inserts player events into a PostgreSQL table, one row per event (idempotent by event_id).',
  settingsSchema,

  limits(settings) {
    return { maxItems: settings.max_rows, maxBytes: MAX_BATCH_BYTES }
  },

  transform: (event) => toRow(event),

  // CREATE TABLE runs once per instance before the first INSERT; plan only shows it.
  async plan(batch, settings) {
    const name = tableOf(settings)
    const insert = sqlCall(
      settings,
      'INSERT',
      insertQuery(
        name,
        batch.map((item) => item.record),
      ),
    )
    if (!settings.create_table) return [insert]
    return [
      sqlCall(settings, 'CREATE TABLE IF NOT EXISTS', { text: createTableSql(name), values: [] }),
      insert,
    ]
  },

  async open(settings, { log, name }) {
    return new PostgresWriter(settings, name, log)
  },

  async close(writer) {
    await writer.pool.end()
  },

  async send(batch, { resources: writer }) {
    try {
      await writer.insert(batch.map((item) => item.record))
      return outcomesForAll(batch.length, { kind: 'delivered' })
    } catch (error) {
      if (classifySqlError(error) === 'data' && batch.length > 1) return insertOneByOne(batch, writer)
      return outcomesForAll(batch.length, outcomeFor(error, writer))
    }
  },
})
