import { describe, expect, it } from 'vitest'
import { httpOutcomes, sendPrechecked } from '../../src/worker/http-connector.ts'

const answer = (statusCode: number, headers: Record<string, string> = {}, text = '') => ({
  statusCode,
  headers,
  text,
})

describe('the HTTP connector kit', () => {
  it('rejects refused items without a request, sends the rest and keeps the batch order', async () => {
    const sent: number[][] = []
    const outcomes = await sendPrechecked(
      [1, 20, 3, 40, 5],
      (n) => (n > 10 ? `${n} is too big` : undefined),
      async (part) => {
        sent.push(part)
        return { outcomes: part.map(() => ({ kind: 'delivered' as const })), tooLarge: part.length > 1 }
      },
    )
    expect(outcomes).toEqual([
      { kind: 'delivered' },
      { kind: 'rejected', reason: '20 is too big' },
      { kind: 'delivered' },
      { kind: 'rejected', reason: '40 is too big' },
      { kind: 'delivered' },
    ])
    // Split in halves after "too large": [1,3,5] → [1,3] → [1], [3]; [5].
    expect(sent).toEqual([[1, 3, 5], [1, 3], [1], [3], [5]])
  })

  it('maps statuses: 2xx delivered, 401/403 paused, 413 split, 429 with Retry-After, other 4xx rejected', () => {
    expect(httpOutcomes(answer(202), 2).outcomes).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }])
    for (const status of [401, 403]) {
      expect(httpOutcomes(answer(status), 1).outcomes).toEqual([
        { kind: 'paused', cause: 'credentials', reason: `HTTP ${status}: credentials refused`, status },
      ])
    }
    expect(httpOutcomes(answer(413, {}, 'too big'), 1)).toEqual({
      tooLarge: true,
      outcomes: [{ kind: 'rejected', reason: 'HTTP 413: payload too large', status: 413, body: 'too big' }],
    })
    expect(httpOutcomes(answer(429, { 'retry-after': '7' }), 1).outcomes).toEqual([
      { kind: 'retry', reason: 'HTTP 429', status: 429, afterMs: 7000 },
    ])
    expect(httpOutcomes(answer(503), 1).outcomes[0]?.kind).toBe('retry')
    expect(httpOutcomes(answer(422, {}, 'bad'), 1).outcomes).toEqual([
      { kind: 'rejected', reason: 'HTTP 422', status: 422, body: 'bad' },
    ])
  })
})
