import type { Outcome } from '../../src/worker/connector.ts'
import {
  type AttemptResult,
  bodyExcerpt,
  outcomeForStatus,
  outcomesForAll,
  tryParseJson,
} from '../../src/worker/http-outcome.ts'
import { isObject } from '../common/is-object.ts'
import { tooLargeResult } from '../common/too-large.ts'

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
 * - 400 codes 7 (index not allowed for the token), 10/11 (the token requires indexer acknowledgment:
 *   set use_ack), 5, 16, and 401/403 (token missing, invalid or disabled): every event is rejected;
 * - 413 (over max_content_length): `tooLarge`, so the batch is split;
 * - 503 (9 server busy, 18–20 unhealthy), 500 (8), 408, 429: retried, honouring Retry-After.
 */
export function outcomesForHecError(
  status: number,
  text: string,
  headers: Record<string, string | string[] | undefined>,
  count: number,
): AttemptResult {
  const hec = parseHecResponse(text)
  const reason = describe(status, hec)
  const body = bodyExcerpt(text)
  if (status === 413) return tooLargeResult(count, reason, text)
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
  const outcome = outcomeForStatus({ status, body: text, headers })
  return { outcomes: outcomesForAll(count, outcome.kind === 'delivered' ? outcome : { ...outcome, reason }) }
}
