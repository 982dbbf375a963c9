import { createEventValidator } from '../../src/dictionary/event-validator.ts'
import type { BatchGenerator } from './batches.ts'
import { round } from './numbers.ts'

/** Throws unless the next `count` generated batches are valid: rejected events would skew every figure. */
export function checkBatches(generator: BatchGenerator, count: number) {
  const validator = createEventValidator()
  for (let i = 0; i < count; i++) {
    const body = JSON.parse(generator.next()) as { events: unknown[] }
    const issues = [
      ...validator.validateEnvelope(body),
      ...body.events.flatMap((e) => validator.validateEvent(e)),
    ]
    if (issues.length > 0) throw new Error(`generated batch is invalid: ${JSON.stringify(issues[0])}`)
  }
}

/** Each event type's share of the generated events, commonest first (for the results' workload notes). */
export function eventMix(generator: BatchGenerator): Record<string, number> {
  const total = Object.values(generator.mix).reduce((a, b) => a + b, 0)
  return Object.fromEntries(
    Object.entries(generator.mix)
      .sort(([, a], [, b]) => b - a)
      .map(([type, n]) => [type, round(n / total)]),
  )
}
