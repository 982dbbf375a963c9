import { describe, expect, it } from 'vitest'
import {
  bodyExcerpt,
  ConnectorDisabledError,
  classifyStatus,
  outcomeForStatus,
  outcomesForAll,
  parseRetryAfter,
  sendSplittingOnTooLarge,
} from '../src/worker/http-outcome.ts'

// Tests for src/worker/http-outcome.ts (kept here: src/worker/ belongs to the runtime's owner).

describe('classifyStatus', () => {
  it.each([
    [200, 'delivered'],
    [202, 'delivered'],
    [204, 'delivered'],
    [299, 'delivered'],
    [408, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [504, 'retry'],
    [400, 'rejected'],
    [401, 'rejected'],
    [403, 'rejected'],
    [404, 'rejected'],
    [410, 'rejected'],
    [413, 'rejected'],
    [301, 'rejected'],
    [100, 'rejected'],
  ])('%i → %s', (status, kind) => {
    expect(classifyStatus(status)).toBe(kind)
  })
})

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 0, 1, 0, 0, 0)

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000)
    expect(parseRetryAfter(' 0 ', now)).toBe(0)
    expect(parseRetryAfter(['7', '9'], now)).toBe(7_000)
  })

  it('reads an HTTP-date relative to now, never negative', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000)
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0)
  })

  it('ignores missing and malformed values', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
    expect(parseRetryAfter('', now)).toBeUndefined()
    expect(parseRetryAfter('-5', now)).toBeUndefined()
    expect(parseRetryAfter('1.5', now)).toBeUndefined()
    expect(parseRetryAfter('soon', now)).toBeUndefined()
  })
})

describe('outcomesForAll / bodyExcerpt / outcomeForStatus', () => {
  it('gives every item its own copy', () => {
    const outcomes = outcomesForAll(3, { kind: 'retry', reason: 'x' })
    expect(outcomes).toHaveLength(3)
    expect(outcomes[0]).not.toBe(outcomes[1])
    expect(outcomes[2]).toEqual({ kind: 'retry', reason: 'x' })
  })

  it('cuts long bodies without splitting a surrogate pair', () => {
    expect(bodyExcerpt('short')).toBe('short')
    expect(bodyExcerpt('a'.repeat(600))).toBe(`${'a'.repeat(512)}…`)
    const excerpt = bodyExcerpt(`${'a'.repeat(9)}😀tail`, 10)
    expect(excerpt).toBe(`${'a'.repeat(9)}…`)
  })

  it('maps statuses with Retry-After and body excerpts', () => {
    expect(outcomeForStatus({ status: 202 })).toEqual({ kind: 'delivered' })
    expect(outcomeForStatus({ status: 503, headers: { 'retry-after': '4' } })).toEqual({
      kind: 'retry',
      reason: 'HTTP 503',
      status: 503,
      afterMs: 4_000,
    })
    expect(outcomeForStatus({ status: 500 })).toEqual({ kind: 'retry', reason: 'HTTP 500', status: 500 })
    expect(outcomeForStatus({ status: 400, body: '{"error":"bad"}' })).toEqual({
      kind: 'rejected',
      reason: 'HTTP 400',
      status: 400,
      body: '{"error":"bad"}',
    })
  })
})

describe('sendSplittingOnTooLarge', () => {
  it('halves batches the vendor finds too large and keeps the order', async () => {
    const calls: number[][] = []
    const outcomes = await sendSplittingOnTooLarge([1, 2, 3, 4, 5], async (part) => {
      calls.push(part)
      if (part.length > 2) return { tooLarge: true, outcomes: outcomesForAll(part.length, tooLarge) }
      return { outcomes: part.map((n) => ({ kind: 'retry' as const, reason: `item ${n}` })) }
    })
    expect(calls).toEqual([[1, 2, 3, 4, 5], [1, 2, 3], [1, 2], [3], [4, 5]])
    expect(outcomes.map((o) => (o.kind === 'retry' ? o.reason : o.kind))).toEqual([
      'item 1',
      'item 2',
      'item 3',
      'item 4',
      'item 5',
    ])
  })

  it('keeps the attempt outcome for a single item that is still too large', async () => {
    const outcomes = await sendSplittingOnTooLarge(['big'], async () => ({
      tooLarge: true,
      outcomes: [tooLarge],
    }))
    expect(outcomes).toEqual([tooLarge])
  })

  it('does not call the vendor for an empty batch', async () => {
    let called = false
    const outcomes = await sendSplittingOnTooLarge([], async () => {
      called = true
      return { outcomes: [] }
    })
    expect(outcomes).toEqual([])
    expect(called).toBe(false)
  })
})

const tooLarge = { kind: 'rejected', reason: 'too large', status: 413 } as const

describe('ConnectorDisabledError', () => {
  it('is an Error with a name and status the runtime can match', () => {
    const error = new ConnectorDisabledError('gone', { status: 410 })
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('ConnectorDisabledError')
    expect(error.status).toBe(410)
  })
})
