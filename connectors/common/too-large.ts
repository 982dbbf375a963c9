import { type AttemptResult, bodyExcerpt, outcomesForAll } from '../../src/worker/http-outcome.ts'

/**
 * A 413 answer for `count` items: `tooLarge`, so `sendSplittingOnTooLarge` resends the request in halves;
 * the outcome, rejected with `reason` and the body's start, stays for a single item still refused.
 */
export function tooLargeResult(count: number, reason: string, text: string): AttemptResult {
  return {
    tooLarge: true,
    outcomes: outcomesForAll(count, { kind: 'rejected', reason, status: 413, body: bodyExcerpt(text) }),
  }
}
