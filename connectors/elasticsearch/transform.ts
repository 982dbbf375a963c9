import type { EnrichedEvent } from '../../src/event.ts'

/** One `create` action of a `_bulk` request: the target index, the document id and the document. */
export interface BulkAction {
  index: string
  id: string
  document: Record<string, unknown>
}

/**
 * An index name, optionally with date placeholders: `framewire-events-{yyyy.MM.dd}`. Inside braces only
 * yyyy, MM, dd, HH and the separators `.`, `-`, `_` are allowed; outside them, what Elasticsearch and
 * OpenSearch accept in an index name (lowercase, no `\ / * ? " < > | , #` or spaces, not starting with
 * `-`, `_`, `+`; https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-indices-create).
 * A leading `.` (hidden and system indices) is refused too.
 */
export const INDEX_PATTERN = '^(?![-_+.])(?:[a-z0-9._+-]|\\{(?:yyyy|MM|dd|HH|[._-])+\\})+$'

const PLACEHOLDER = /\{([^{}]+)\}/g
const DATE_TOKEN = /yyyy|MM|dd|HH/g

const pad = (n: number) => String(n).padStart(2, '0')

/** The index for an event time: the placeholders are filled in from `at`, in UTC. */
export function indexName(pattern: string, at: Date): string {
  const parts: Record<string, string> = {
    yyyy: String(at.getUTCFullYear()),
    MM: pad(at.getUTCMonth() + 1),
    dd: pad(at.getUTCDate()),
    HH: pad(at.getUTCHours()),
  }
  return pattern.replace(PLACEHOLDER, (_, format: string) =>
    format.replace(DATE_TOKEN, (token) => parts[token] ?? token),
  )
}

/** The event time: skew-corrected client time, else client time, else arrival at ingest. */
export function eventTime(event: EnrichedEvent): number {
  for (const candidate of [event.ts_corrected, event.ts, event.received_at]) {
    if (Number.isFinite(candidate)) return candidate
  }
  return Date.now()
}

/**
 * The enriched event as a document, with `@timestamp` (the field data streams require and Kibana uses by
 * default) set to the event time. The document id is the event_id, so a redelivery hits the same
 * `_id` in the same (time-derived) index and `create` refuses it with 409.
 */
export function toBulkAction(event: EnrichedEvent, indexPattern: string): BulkAction {
  const at = new Date(eventTime(event))
  return {
    index: indexName(indexPattern, at),
    id: event.event_id,
    document: { '@timestamp': at.toISOString(), ...event },
  }
}
