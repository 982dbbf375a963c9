import { createHash } from 'node:crypto'
import { escapeIdentifier, escapeLiteral } from 'pg'
import type { EnrichedEvent } from '../../src/event.ts'

/** One row of the events table, as sent inside the JSON array that `jsonb_to_recordset` expands. */
export interface PostgresRow {
  event_id: string
  type: string
  /** ISO 8601 (UTC); PostgreSQL parses it into timestamptz. */
  ts: string
  ts_corrected: string | null
  received_at: string
  session_id: string
  view_id: string
  seq: number
  source: string
  content_id: string | null
  user_id: string | null
  /** The whole enriched event. */
  payload: EnrichedEvent
}

export interface TableName {
  schema: string
  table: string
}

/**
 * Columns in table order, with their SQL types: the DDL and the `jsonb_to_recordset` column list come from
 * this one list, so they cannot drift apart.
 */
const COLUMNS: ReadonlyArray<readonly [keyof PostgresRow, string]> = [
  ['event_id', 'uuid'],
  ['type', 'text'],
  ['ts', 'timestamptz'],
  ['ts_corrected', 'timestamptz'],
  ['received_at', 'timestamptz'],
  ['session_id', 'text'],
  ['view_id', 'text'],
  ['seq', 'bigint'],
  ['source', 'text'],
  ['content_id', 'text'],
  ['user_id', 'text'],
  ['payload', 'jsonb'],
]
const NULLABLE = new Set<string>(['ts_corrected', 'content_id', 'user_id'])

const iso = (ms: number) => new Date(ms).toISOString()

function nested(event: EnrichedEvent, group: string, field: string): string | null {
  const value = (event[group] as Record<string, unknown> | undefined)?.[field]
  return typeof value === 'string' ? value : null
}

export function toRow(event: EnrichedEvent): PostgresRow {
  return {
    event_id: event.event_id,
    type: event.type,
    ts: iso(event.ts),
    ts_corrected: typeof event.ts_corrected === 'number' ? iso(event.ts_corrected) : null,
    received_at: iso(event.received_at),
    session_id: event.session_id,
    view_id: event.view_id,
    seq: event.seq,
    source: event.source,
    content_id: nested(event, 'content', 'id'),
    user_id: nested(event, 'user', 'id'),
    payload: event,
  }
}

function qualified({ schema, table }: TableName): string {
  return `${escapeIdentifier(schema)}.${escapeIdentifier(table)}`
}

/**
 * CREATE TABLE IF NOT EXISTS plus its indexes, as one multi-statement query: PostgreSQL runs it as a single
 * implicit transaction (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-MULTI-STATEMENT),
 * and the advisory lock serialises workers that start together, which would otherwise race on the catalog.
 */
export function createTableSql(name: TableName): string {
  const target = qualified(name)
  const index = (suffix: string, definition: string) =>
    `CREATE INDEX IF NOT EXISTS ${escapeIdentifier(`${name.table}_${suffix}`)} ON ${target} ${definition}`
  const columns = COLUMNS.map(([column, type]) => {
    const constraint = column === 'event_id' ? ' PRIMARY KEY' : NULLABLE.has(column) ? '' : ' NOT NULL'
    return `  ${column} ${type}${constraint}`
  })
  return [
    `SELECT pg_advisory_xact_lock(hashtext(${escapeLiteral(`${name.schema}.${name.table}`)}))`,
    ...(name.schema === 'public' ? [] : [`CREATE SCHEMA IF NOT EXISTS ${escapeIdentifier(name.schema)}`]),
    `CREATE TABLE IF NOT EXISTS ${target} (\n${columns.join(',\n')}\n)`,
    index('view_seq_idx', '(view_id, seq)'),
    index('session_idx', '(session_id)'),
    index('content_idx', '(content_id)'),
    // Rows arrive roughly in received_at order: a BRIN index is tiny and cheap to maintain.
    index('received_at_brin', 'USING brin (received_at)'),
  ].join(';\n')
}

/**
 * One statement for any number of rows: the batch travels as a single jsonb parameter. The statement text
 * never changes, so it is prepared once per connection, and there is no 65,535-parameter cap as with a
 * multi-row VALUES list. ON CONFLICT makes a retried or redelivered batch insert each event once.
 */
export function insertSql(name: TableName): string {
  const names = COLUMNS.map(([column]) => column).join(', ')
  const types = COLUMNS.map(([column, type]) => `${column} ${type}`).join(', ')
  return (
    `INSERT INTO ${qualified(name)} (${names}) SELECT ${names} ` +
    `FROM jsonb_to_recordset($1::jsonb) AS r(${types}) ON CONFLICT (event_id) DO NOTHING`
  )
}

/** A query as node-postgres takes it: a named (prepared) statement, its text and its parameters. */
export interface SqlQuery {
  name?: string
  text: string
  values: unknown[]
}

/** The INSERT of `rows`: the statement `send` runs and `plan` shows. */
export function insertQuery(name: TableName, rows: PostgresRow[]): SqlQuery {
  const text = insertSql(name)
  // A named statement is parsed once per connection; the name follows the text (names cap at 63 bytes).
  const statement = `fw_insert_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`
  return { name: statement, text, values: [JSON.stringify(rows)] }
}
