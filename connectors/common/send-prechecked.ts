import type { Outcome } from '../../src/worker/connector.ts'
import { type AttemptResult, sendSplittingOnTooLarge } from '../../src/worker/http-outcome.ts'

/**
 * Sends a batch of which some items must not go out: `refusal(item)` says why an item is rejected without a
 * request (the vendor would refuse the whole request for it, or accept it and lose it), or returns undefined.
 * The other items are sent with `sendSplittingOnTooLarge(attempt)`. Returns one outcome per item, in order.
 */
export async function sendPrechecked<T>(
  items: readonly T[],
  refusal: (item: T) => string | undefined,
  attempt: (part: T[]) => Promise<AttemptResult>,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(items.length)
  const positions: number[] = []
  items.forEach((item, position) => {
    const reason = refusal(item)
    if (reason === undefined) positions.push(position)
    else outcomes[position] = { kind: 'rejected', reason }
  })
  const sent = await sendSplittingOnTooLarge(positions, (part) =>
    attempt(part.map((position) => items[position] as T)),
  )
  positions.forEach((position, i) => {
    outcomes[position] = sent[i] ?? { kind: 'retry', reason: 'internal: no outcome' }
  })
  return outcomes
}
