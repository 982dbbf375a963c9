import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { RetryPolicy } from '../../src/worker/retry-policy.ts'
import { RetryQueue } from '../../src/worker/retry-queue.ts'

const config = { max_attempts: 5, max_elapsed_ms: 60_000, initial_backoff_ms: 100, max_backoff_ms: 1000 }

describe('RetryPolicy backoff', () => {
  it('draws uniformly between zero and the exponential ceiling (full jitter)', () => {
    const lowest = new RetryPolicy(config, () => 0)
    const highest = new RetryPolicy(config, () => 0.999999)
    expect(lowest.backoffMs(1)).toBe(0)
    expect(highest.backoffMs(1)).toBe(99)
    expect(highest.backoffMs(2)).toBe(199)
    expect(highest.backoffMs(3)).toBe(399)
  })

  it('never exceeds max_backoff_ms', () => {
    const highest = new RetryPolicy(config, () => 0.999999)
    expect(highest.backoffMs(20)).toBe(999)
  })

  it('stays within bounds with the real random source', () => {
    const policy = new RetryPolicy(config)
    const delays = Array.from({ length: 1000 }, () => policy.backoffMs(3))
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...delays)).toBeLessThan(400)
    // Full jitter spreads over the whole range, not just its top (as "equal jitter" would).
    expect(Math.min(...delays)).toBeLessThan(100)
  })
})

describe('RetryPolicy decision', () => {
  const policy = new RetryPolicy(config)
  const now = 1_000_000

  it('schedules the next attempt after the backoff', () => {
    expect(policy.nextAttemptAt({ attempts: 1, firstAttemptAt: now }, 80, undefined, now)).toBe(now + 80)
  })

  it('waits at least Retry-After, even when the backoff is shorter', () => {
    expect(policy.nextAttemptAt({ attempts: 1, firstAttemptAt: now }, 80, 5000, now)).toBe(now + 5000)
    expect(policy.nextAttemptAt({ attempts: 1, firstAttemptAt: now }, 800, 50, now)).toBe(now + 800)
  })

  it('gives up after max_attempts', () => {
    expect(policy.nextAttemptAt({ attempts: 4, firstAttemptAt: now }, 0, undefined, now)).toBe(now)
    expect(policy.nextAttemptAt({ attempts: 5, firstAttemptAt: now }, 0, undefined, now)).toBeNull()
  })

  it('gives up when the next attempt would fall outside the retry window', () => {
    const first = now - 59_000
    expect(policy.nextAttemptAt({ attempts: 2, firstAttemptAt: first }, 1000, undefined, now)).toBe(
      now + 1000,
    )
    expect(policy.nextAttemptAt({ attempts: 2, firstAttemptAt: first }, 1001, undefined, now)).toBeNull()
    // A Retry-After beyond the window dead-letters now instead of holding the record for nothing.
    expect(policy.nextAttemptAt({ attempts: 1, firstAttemptAt: now }, 0, 120_000, now)).toBeNull()
  })
})

describe('RetryQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('hands items back no earlier than their due time, those due together in one call', () => {
    const released: string[][] = []
    const queue = new RetryQueue<string>((items) => released.push(items))
    const start = Date.now()
    queue.schedule('late', start + 300)
    queue.schedule('a', start + 100)
    queue.schedule('b', start + 100)
    vi.advanceTimersByTime(99)
    expect(released).toEqual([])
    vi.advanceTimersByTime(1)
    expect(released).toEqual([['a', 'b']])
    vi.advanceTimersByTime(199)
    expect(released).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(released).toEqual([['a', 'b'], ['late']])
  })

  it('re-arms for an earlier item scheduled after a later one', () => {
    const released: string[][] = []
    const queue = new RetryQueue<string>((items) => released.push(items))
    const start = Date.now()
    queue.schedule('later', start + 1000)
    queue.schedule('sooner', start + 10)
    vi.advanceTimersByTime(10)
    expect(released).toEqual([['sooner']])
  })

  it('drops discarded items', () => {
    const released: string[][] = []
    const queue = new RetryQueue<string>((items) => released.push(items))
    queue.schedule('keep', Date.now() + 10)
    queue.schedule('drop', Date.now() + 10)
    expect(queue.discard((item) => item === 'drop')).toEqual(['drop'])
    vi.advanceTimersByTime(10)
    expect(released).toEqual([['keep']])
  })
})
