import type { Outcome } from '../../src/worker/connector.ts'
import { credentialsRefused } from '../../src/worker/http-connector.ts'
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

// The 400 BigQuery answers above its 10 MB / 50,000-row request limits (error text as BigQuery returns it).
const TOO_LARGE = /Request payload size exceeds the limit|too many rows present in the request/i

/**
 * Reasons of a quota or rate limit (https://cloud.google.com/bigquery/docs/troubleshoot-quotas): a
 * longer-term limit ("wait 10 minutes or longer") and a short-term one ("retrying the operation after a few
 * seconds. Use exponential backoff").
 */
const QUOTA = 'quotaExceeded'
const RATE_LIMIT = 'rateLimitExceeded'

/**
 * A failed insertAll request (https://cloud.google.com/bigquery/docs/error-messages,
 * https://cloud.google.com/bigquery/docs/troubleshoot-quotas):
 * - `quotaExceeded` (403, or 413 from the streaming throughput quota) → paused (quota) for `quotaPauseMs`;
 * - `rateLimitExceeded` (403, or 413), `backendError`, 408, 429, 5xx → retry with backoff (Retry-After
 *   honoured). A 413 is not always about size: "you may receive a 413 REQUEST ENTITY TOO LARGE status code if
 *   your HTTP requests are larger than 10 MB. You may also receive this error if you exceed 300 MB per
 *   second" (https://cloud.google.com/docs/quotas/troubleshoot). Only the error reason tells them apart, and
 *   splitting a batch because of the throughput limit would halve it down to single rows under load;
 * - 413 without a quota reason, or 400 over the size/row limits → too large (split, then rejected alone);
 * - 401, 403 `accessDenied` (and any other 403: billing, blocked) → paused (credentials): every request
 *   fails until someone fixes the service account's roles or key;
 * - no HTTP status at all (connection refused, reset, timeout) → retry;
 * - any other status (400 invalid, 404) → rejected.
 */
export function classifyRequestError(error: unknown, quotaPauseMs: number): RequestFailure {
  const e = error as ApiErrorLike
  const message = e?.message ?? String(error)
  const status = typeof e?.code === 'number' ? e.code : undefined
  const failure = (outcome: Outcome, tooLarge = false): RequestFailure => ({
    outcome,
    tooLarge,
    notFound: status === 404,
  })
  if (status === undefined) return failure({ kind: 'retry', reason: `BigQuery request failed: ${message}` })
  const reasons = (e.errors ?? []).map((err) => err.reason)
  const reason = `BigQuery ${status}${reasons[0] ? ` ${reasons[0]}` : ''}: ${message}`
  const afterMs = parseRetryAfter(e.response?.headers?.['retry-after'])

  if (reasons.includes(QUOTA)) {
    return failure({
      kind: 'paused',
      cause: 'quota',
      reason,
      status,
      afterMs: Math.max(quotaPauseMs, afterMs ?? 0),
    })
  }
  if (
    reasons.includes(RATE_LIMIT) ||
    reasons.includes('backendError') ||
    classifyStatus(status) === 'retry'
  ) {
    return failure(
      afterMs === undefined ? { kind: 'retry', reason, status } : { kind: 'retry', reason, status, afterMs },
    )
  }
  if (status === 401 || status === 403) return failure(credentialsRefused(status, reason))
  const rejected: Outcome = {
    kind: 'rejected',
    reason,
    status,
    body: bodyExcerpt(JSON.stringify({ message, errors: e.errors })),
  }
  return failure(rejected, status === 413 || (status === 400 && TOO_LARGE.test(message)))
}
