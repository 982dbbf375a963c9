import type { EnrichedEvent } from '../../src/event.ts'
import { isObject } from '../common/is-object.ts'
import type { BigQueryField } from './schema.ts'

/** One element of `rows` in a tabledata.insertAll request. */
export interface InsertAllRow {
  /** BigQuery's best-effort deduplication key: the event_id. */
  insertId: string
  json: Record<string, unknown>
}

/**
 * Encodes `value` for a column of the legacy streaming API
 * (https://cloud.google.com/bigquery/docs/reference/rest/v2/tabledata/insertAll): TIMESTAMP as an ISO 8601
 * string, JSON as a JSON-encoded string, RECORD field by field.
 */
function encode(field: BigQueryField, value: unknown): unknown {
  switch (field.type) {
    case 'TIMESTAMP':
      return typeof value === 'number' ? new Date(value).toISOString() : value
    case 'JSON':
      return JSON.stringify(value)
    case 'RECORD':
      return isObject(value) ? toRowJson(value, field.fields ?? []) : value
    default:
      return value
  }
}

/** The row with the columns of `fields`; fields the table does not have are left out. */
export function toRowJson(source: Record<string, unknown>, fields: BigQueryField[]): Record<string, unknown> {
  const row: Record<string, unknown> = {}
  for (const field of fields) {
    const value = source[field.name]
    if (value !== undefined && value !== null) row[field.name] = encode(field, value)
  }
  return row
}

export function toInsertAllRow(event: EnrichedEvent, fields: BigQueryField[]): InsertAllRow {
  return { insertId: event.event_id, json: toRowJson(event, fields) }
}
