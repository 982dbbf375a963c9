import type { Outcome } from '../../src/worker/connector.ts'
import { bodyExcerpt, outcomesForAll, tryParseJson } from '../../src/worker/http-outcome.ts'
import { isObject } from '../common/is-object.ts'
import type { MixpanelEvent } from './transform.ts'

/**
 * Mixpanel's 400 to /import?strict=1 is a partial success: "If some events pass validation and others fail,
 * Mixpanel will ingest the events that pass validation" (https://developer.mixpanel.com/reference/import-events,
 * "Validation"; https://docs.mixpanel.com/troubleshooting/errors/400-bad-request: "a 400 is a partial success
 * rather than a total rejection"). Listed records are rejected (retrying them cannot help: "Please do not
 * retry validation errors"), the others were ingested and are delivered.
 */

interface FailedRecord {
  index?: unknown
  $insert_id?: unknown
  insert_id?: unknown
  field?: unknown
  message?: unknown
}

export function outcomesFor400(records: readonly MixpanelEvent[], text: string): Outcome[] {
  const body = tryParseJson(text)
  const excerpt = bodyExcerpt(text)
  const error = isObject(body) && typeof body.error === 'string' ? body.error : 'Bad Request'
  const failed =
    isObject(body) && Array.isArray(body.failed_records) ? (body.failed_records as FailedRecord[]) : []
  // A 400 naming no record (malformed body, missing strict…) refused the whole request.
  if (failed.length === 0) {
    return outcomesForAll(records.length, {
      kind: 'rejected',
      reason: `Mixpanel 400: ${error}`,
      status: 400,
      body: excerpt,
    })
  }

  const byInsertId = new Map(records.map((record, i) => [record.properties.$insert_id, i]))
  const reasons = new Map<number, string[]>()
  for (const entry of failed) {
    // The reference shows "$insert_id", the error page and OpenAPI example "insert_id": accept both.
    const insertId = typeof entry.$insert_id === 'string' ? entry.$insert_id : entry.insert_id
    let index = Number.isInteger(entry.index) ? (entry.index as number) : -1
    if (records[index]?.properties.$insert_id !== insertId && typeof insertId === 'string') {
      index = byInsertId.get(insertId) ?? index
    }
    if (index < 0 || index >= records.length) continue
    const what = [entry.field, entry.message].filter((part) => typeof part === 'string').join(': ')
    reasons.set(index, [...(reasons.get(index) ?? []), what || 'failed validation'])
  }

  // num_records_imported should count every record not listed; if it counts fewer, which ones were lost is
  // unknown, so they are all retried ($insert_id makes a second copy of an ingested one harmless).
  const imported =
    isObject(body) && typeof body.num_records_imported === 'number' ? body.num_records_imported : undefined
  const uncertain = imported !== undefined && imported < records.length - reasons.size

  return records.map((_, i): Outcome => {
    const why = reasons.get(i)
    if (why)
      return { kind: 'rejected', reason: `Mixpanel 400: ${why.join('; ')}`, status: 400, body: excerpt }
    if (uncertain) {
      return { kind: 'retry', reason: 'Mixpanel 400: imported fewer records than it accepted', status: 400 }
    }
    return { kind: 'delivered' }
  })
}
