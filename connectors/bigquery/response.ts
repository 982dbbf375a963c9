import type { Outcome } from '../../src/worker/connector.ts'
import {
  bodyExcerpt,
  classifyStatus,
  outcomesForAll,
  parseRetryAfter,
} from '../../src/worker/http-outcome.ts'

/** An ErrorProto (https://cloud.google.com/bigquery/docs/reference/rest/v2/ErrorProto). */
export interface ErrorProto {
  reason?: string
  location?: string
  message?: string
}

/** One entry of `insertErrors` in a tabledata.insertAll response. */
export interface InsertError {
  index: number
  errors: ErrorProto[]
}

/**
 * Per-row reasons that say nothing against the row itself: `stopped` ("the row was not inserted because
 * another row of the request was invalid", https://cloud.google.com/bigquery/docs/error-messages) and
 * transient server-side ones.
 */
const ROW_RETRY_REASONS = new Set(['stopped', 'backendError', 'internalError', 'timeout'])

function describeErrors(errors: ErrorProto[]): string {
  return errors
    .filter((e) => e.reason !== 'stopped')
    .map((e) => `${e.reason ?? 'error'}${e.location ? ` at ${e.location}` : ''}: ${e.message ?? ''}`)
    .join('; ')
}

/**
 * Outcomes of a 200 response carrying `insertErrors`. Rows not listed were inserted (with skipInvalidRows,
 * or when nothing was wrong). Rows stopped because of another row are retried at once; invalid rows are
 * rejected with BigQuery's message.
 */
export function outcomesForInsertErrors(count: number, insertErrors: InsertError[]): Outcome[] {
  const outcomes = outcomesForAll(count, { kind: 'delivered' })
  for (const { index, errors } of insertErrors) {
    if (!Number.isInteger(index) || index < 0 || index >= count) continue
    const reasons = errors.map((e) => e.reason ?? '')
    if (reasons.length > 0 && reasons.every((r) => r === 'stopped')) {
      outcomes[index] = {
        kind: 'retry',
        reason: 'not inserted: another row of the request was invalid',
        afterMs: 0,
      }
    } else if (reasons.length > 0 && reasons.every((r) => ROW_RETRY_REASONS.has(r))) {
      outcomes[index] = { kind: 'retry', reason: `BigQuery ${describeErrors(errors)}` }
    } else {
      outcomes[index] = {
        kind: 'rejected',
        reason: `BigQuery ${describeErrors(errors)}`,
        body: bodyExcerpt(JSON.stringify(errors)),
      }
    }
  }
  return outcomes
}

/** The fields of the client's ApiError (@google-cloud/common) that matter here. */
export interface ApiErrorLike {
  code?: number | string
  message?: string
  errors?: ErrorProto[]
  response?: { headers?: Record<string, string | string[] | undefined> }
}

export interface RequestFailure {
  outcome: Outcome
  /** The request was refused for its size or row count; halves may pass. */
  tooLarge: boolean
  /** 404: the table (or dataset) does not exist. */
  notFound: boolean
}

// The 400 BigQuery answers above its 10 MB / 50,000-row request limits (error text as BigQuery returns it);
// a body far over the limit gets a 413 from Google's front end.
const TOO_LARGE = /Request payload size exceeds the limit|too many rows present in the request/i

/**
 * A failed insertAll request (https://cloud.google.com/bigquery/docs/error-messages,
 * https://cloud.google.com/bigquery/docs/troubleshoot-quotas):
 * - 403 `quotaExceeded` ("wait 10 minutes or longer") → retry after `quotaPauseMs`;
 * - 403 `rateLimitExceeded`, `backendError`, 429, 5xx → retry (Retry-After honoured);
 * - 413, or 400 over the size/row limits → too large;
 * - no HTTP status at all (connection refused, reset, timeout) → retry;
 * - any other status (400 invalid, 401, 403 accessDenied, 404) → rejected.
 */
export function classifyRequestError(error: unknown, quotaPauseMs: number): RequestFailure {
  const e = error as ApiErrorLike
  const message = e?.message ?? String(error)
  const status = typeof e?.code === 'number' ? e.code : undefined
  if (status === undefined) {
    return {
      outcome: { kind: 'retry', reason: `BigQuery request failed: ${message}` },
      tooLarge: false,
      notFound: false,
    }
  }
  const reasons = (e.errors ?? []).map((err) => err.reason)
  const reason = `BigQuery ${status}${reasons[0] ? ` ${reasons[0]}` : ''}: ${message}`
  const afterMs = parseRetryAfter(e.response?.headers?.['retry-after'])
  const tooLarge = status === 413 || (status === 400 && TOO_LARGE.test(message))

  let outcome: Outcome
  if (reasons.includes('quotaExceeded')) {
    outcome = { kind: 'retry', reason, status, afterMs: Math.max(quotaPauseMs, afterMs ?? 0) }
  } else if (
    reasons.includes('rateLimitExceeded') ||
    reasons.includes('backendError') ||
    classifyStatus(status) === 'retry'
  ) {
    outcome = { kind: 'retry', reason, status }
    if (afterMs !== undefined) outcome.afterMs = afterMs
  } else {
    outcome = {
      kind: 'rejected',
      reason,
      status,
      body: bodyExcerpt(JSON.stringify({ message, errors: e.errors })),
    }
  }
  return { outcome, tooLarge, notFound: status === 404 }
}
