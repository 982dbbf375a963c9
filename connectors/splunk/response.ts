import type { Outcome } from '../../src/worker/connector.ts'
import { credentialsRefused, type HttpResponse, httpOutcomes } from '../../src/worker/http-connector.ts'
import {
  type AttemptResult,
  bodyExcerpt,
  outcomesForAll,
  parseRetryAfter,
  tryParseJson,
} from '../../src/worker/http-outcome.ts'
import { isObject } from '../common/is-object.ts'

/**
 * HEC status codes (https://docs.splunk.com/Documentation/Splunk/latest/Data/TroubleshootHTTPEventCollector,
 * "Possible error codes"): 0 Success (200); 1 Token disabled (403); 2 Token is required (401); 3 Invalid
 * authorization (401); 4 Invalid token (403); 5 No data (400); 6 Invalid data format (400); 7 Incorrect
 * index (400); 8 Internal server error (500); 9 Server is busy (503); 10 Data channel is missing (400);
 * 11 Invalid data channel (400); 12 Event field is required (400); 13 Event field cannot be blank (400);
 * 14 ACK is disabled (400); 15 Error in handling indexed fields (400); 16 Query string authorization is
 * not enabled (400); 17 HEC is healthy (200); 18–20 HEC is unhealthy: queues full / ack service
 * unavailable (503).
 */
export interface HecResponse {
  text?: string
  code?: number
  'invalid-event-number'?: number
  ackId?: number
}

/** Codes refusing one event of the batch, named by `invalid-event-number`. */
const EVENT_CODES = new Set([6, 12, 13, 15])
/** Token disabled, required, badly sent or unknown: nothing passes until someone fixes the token. */
const TOKEN_CODES = new Set([1, 2, 3, 4])
/** Code 9, "Server is busy" (also when too many acknowledgments are pending): HEC sends no Retry-After. */
const BUSY_CODE = 9
// Long enough for a busy indexer to drain some of its queues and pending acks, short next to ack_timeout_ms.
export const BUSY_RETRY_MS = 5_000

export function parseHecResponse(text: string): HecResponse {
  const body = tryParseJson(text)
  return isObject(body) ? (body as HecResponse) : {}
}

function describe(status: number, hec: HecResponse): string {
  const code = typeof hec.code === 'number' ? ` code ${hec.code}` : ''
  return `Splunk HEC ${status}${code}${hec.text ? `: ${hec.text}` : ''}`
}

/**
 * Outcomes of a non-2xx HEC answer for `count` events:
 * - 400 naming an invalid event (codes 6, 12, 13, 15 with `invalid-event-number` N): event N is rejected.
 *   HEC stops at N: the events after it were not indexed and are retried at once. Splunk does not document
 *   what became of the events before N (experiments show them indexed), so they are retried too: a
 *   possible duplicate rather than a possible loss;
 * - 401/403 and codes 1–4 (token disabled, missing, badly sent, unknown): paused for the credentials;
 * - 503 code 9 (server busy, or too many acknowledgments pending): retried after Retry-After, else 5 s;
 * - 400 codes 7 (index not allowed for the token), 10/11 (data channel), 5, 16: every event is rejected;
 * - 413 (over max_content_length): `tooLarge`, so the batch is split;
 * - other 5xx (8, 18–20 unhealthy), 408, 429: retried, honouring Retry-After.
 */
export function outcomesForHecError(response: HttpResponse, count: number): AttemptResult {
  const { statusCode: status, text } = response
  const hec = parseHecResponse(text)
  const reason = describe(status, hec)
  const body = bodyExcerpt(text)
  const invalid = hec['invalid-event-number']
  if (
    status === 400 &&
    EVENT_CODES.has(hec.code ?? -1) &&
    Number.isInteger(invalid) &&
    invalid !== undefined &&
    invalid >= 0 &&
    invalid < count
  ) {
    return {
      outcomes: Array.from({ length: count }, (_, i): Outcome => {
        if (i === invalid) return { kind: 'rejected', reason, status, body }
        return {
          kind: 'retry',
          reason: `not indexed: HEC refused event ${invalid} of the request (${hec.text ?? 'invalid'})`,
          status,
          afterMs: 0,
        }
      }),
    }
  }
  if (status === 401 || status === 403 || TOKEN_CODES.has(hec.code ?? -1)) {
    return { outcomes: outcomesForAll(count, credentialsRefused(status, reason)) }
  }
  if (hec.code === BUSY_CODE) {
    const afterMs = parseRetryAfter(response.headers['retry-after']) ?? BUSY_RETRY_MS
    return { outcomes: outcomesForAll(count, { kind: 'retry', reason, status, afterMs }) }
  }
  const generic = httpOutcomes(response, count)
  return {
    ...generic,
    outcomes: generic.outcomes.map((o) => (o.kind === 'delivered' ? o : { ...o, reason })),
  }
}
