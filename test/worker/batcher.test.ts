import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Batcher, type BatcherOptions, effectiveLimits } from '../../src/worker/batcher.ts'

interface Item {
  id: number
  bytes: number
}

/** A batcher whose sends stay pending until the test settles them. */
function harness(overrides: Partial<BatcherOptions<Item>> = {}) {
  const sent: Item[][] = []
  const settle: (() => void)[] = []
  const batcher = new Batcher<Item>({
    limits: { maxItems: 3, maxBytes: 1000 },
    lingerMs: 50,
    maxInFlight: 10,
    sizeOf: (item) => item.bytes,
    send: (batch) => {
      sent.push(batch)
      return new Promise((resolve) => settle.push(resolve))
    },
    mayStart: () => true,
    ...overrides,
  })
  const ids = () => sent.map((batch) => batch.map((item) => item.id))
  return { batcher, sent, settle, ids }
}

const item = (id: number, bytes = 10): Item => ({ id, bytes })

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('Batcher', () => {
  it('sends a batch as soon as it holds maxItems', () => {
    const { batcher, ids } = harness()
    for (const id of [1, 2, 3, 4]) batcher.add(item(id))
    expect(ids()).toEqual([[1, 2, 3]])
  })

  it('closes a batch before the item that would exceed maxBytes', () => {
    const { batcher, ids } = harness({ limits: { maxItems: 100, maxBytes: 100 } })
    batcher.add(item(1, 40))
    batcher.add(item(2, 40))
    batcher.add(item(3, 40))
    expect(ids()).toEqual([[1, 2]])
  })

  it('sends a batch that reaches maxBytes exactly, and an oversized item alone', () => {
    const { batcher, ids } = harness({ limits: { maxItems: 100, maxBytes: 100 } })
    batcher.add(item(1, 60))
    batcher.add(item(2, 40))
    batcher.add(item(3, 500))
    expect(ids()).toEqual([[1, 2], [3]])
  })

  it('sends a partial batch after the linger time, not before', () => {
    const { batcher, ids } = harness()
    batcher.add(item(1))
    vi.advanceTimersByTime(30)
    batcher.add(item(2))
    vi.advanceTimersByTime(19)
    expect(ids()).toEqual([])
    // The linger counts from the batch's first item.
    vi.advanceTimersByTime(1)
    expect(ids()).toEqual([[1, 2]])
  })

  it('keeps at most maxInFlight batches on their way and starts the next when one settles', async () => {
    const { batcher, settle, ids } = harness({ maxInFlight: 2, limits: { maxItems: 1, maxBytes: 1000 } })
    for (const id of [1, 2, 3]) batcher.add(item(id))
    expect(ids()).toEqual([[1], [2]])
    settle[0]?.()
    await vi.waitFor(() => expect(ids()).toEqual([[1], [2], [3]]))
  })

  it('sends nothing while the gate is shut, and resumes on pump()', () => {
    let open = false
    const { batcher, ids } = harness({ mayStart: () => open, limits: { maxItems: 1, maxBytes: 1000 } })
    batcher.add(item(1))
    expect(ids()).toEqual([])
    open = true
    batcher.pump()
    expect(ids()).toEqual([[1]])
  })

  it('resolves idle() only once every batch has been sent and settled', async () => {
    const { batcher, settle } = harness()
    batcher.add(item(1))
    let idle = false
    void batcher.idle().then(() => {
      idle = true
    })
    batcher.flush()
    await Promise.resolve()
    expect(idle).toBe(false)
    settle[0]?.()
    await vi.waitFor(() => expect(idle).toBe(true))
  })

  it('discards unsent items matching a predicate', () => {
    const { batcher, ids } = harness()
    batcher.add(item(1))
    batcher.add(item(2))
    expect(batcher.discard((candidate) => candidate.id === 1).map((removed) => removed.id)).toEqual([1])
    vi.advanceTimersByTime(50)
    expect(ids()).toEqual([[2]])
  })
})

describe('effectiveLimits', () => {
  const batching = { linger_ms: 50, max_in_flight: 1 }

  it('takes the smaller of the vendor limit and the configured cap', () => {
    expect(
      effectiveLimits(
        { maxItems: 500, maxBytes: 1_000_000 },
        { ...batching, max_items: 100, max_bytes: 5_000_000 },
      ),
    ).toEqual({ maxItems: 100, maxBytes: 1_000_000 })
  })

  it('uses the vendor limits when the config sets no caps', () => {
    expect(effectiveLimits({ maxItems: 500, maxBytes: 1000 }, batching)).toEqual({
      maxItems: 500,
      maxBytes: 1000,
    })
  })
})
