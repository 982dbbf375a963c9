import { describe, expect, it } from 'vitest'
import { OffsetTracker } from '../../src/worker/offset-tracker.ts'

const due = (tracker: OffsetTracker) =>
  tracker.commitsDue().map(({ topic, partition, nextOffset }) => ({ topic, partition, nextOffset }))

describe('OffsetTracker', () => {
  it('commits only up to the first record without a final outcome', () => {
    const tracker = new OffsetTracker()
    const r0 = tracker.track('events', 0, 0n)
    const r1 = tracker.track('events', 0, 1n)
    const r2 = tracker.track('events', 0, 2n)
    tracker.done(r1)
    tracker.done(r2)
    // r0 is still in flight: nothing may be committed, even though later records are done.
    expect(due(tracker)).toEqual([])
    tracker.done(r0)
    expect(due(tracker)).toEqual([{ topic: 'events', partition: 0, nextOffset: 3n }])
  })

  it('stops at a gap in the middle', () => {
    const tracker = new OffsetTracker()
    const tickets = [10n, 11n, 12n, 13n].map((offset) => tracker.track('events', 0, offset))
    for (const ticket of tickets.filter((ticket) => ticket.offset !== 12n)) tracker.done(ticket)
    expect(due(tracker)).toEqual([{ topic: 'events', partition: 0, nextOffset: 12n }])
  })

  it('treats a skipped record, done right away, like any finished record', () => {
    const tracker = new OffsetTracker()
    const sent = tracker.track('events', 0, 0n)
    tracker.done(tracker.track('events', 0, 1n))
    tracker.done(sent)
    expect(due(tracker)).toEqual([{ topic: 'events', partition: 0, nextOffset: 2n }])
  })

  it('follows offsets with holes (compacted topics, transaction markers)', () => {
    const tracker = new OffsetTracker()
    tracker.done(tracker.track('events', 0, 5n))
    tracker.done(tracker.track('events', 0, 9n))
    expect(due(tracker)).toEqual([{ topic: 'events', partition: 0, nextOffset: 10n }])
  })

  it('keeps partitions apart', () => {
    const tracker = new OffsetTracker()
    tracker.track('events', 0, 0n)
    tracker.done(tracker.track('events', 1, 0n))
    expect(due(tracker)).toEqual([{ topic: 'events', partition: 1, nextOffset: 1n }])
  })

  it('is not due again once committed, until more records finish', () => {
    const tracker = new OffsetTracker()
    tracker.done(tracker.track('events', 0, 0n))
    for (const position of tracker.commitsDue()) tracker.committed(position)
    expect(due(tracker)).toEqual([])
    tracker.done(tracker.track('events', 0, 1n))
    expect(due(tracker)).toEqual([{ topic: 'events', partition: 0, nextOffset: 2n }])
  })

  it('forgets revoked partitions, and late outcomes of their records change nothing', () => {
    const tracker = new OffsetTracker()
    const stale = tracker.track('events', 0, 0n)
    tracker.forget('events', [0])
    expect(due(tracker)).toEqual([])
    // The partition comes back and is consumed again from offset 0.
    const fresh = tracker.track('events', 0, 0n)
    tracker.done(stale)
    expect(due(tracker)).toEqual([])
    tracker.done(fresh)
    expect(due(tracker)).toEqual([{ topic: 'events', partition: 0, nextOffset: 1n }])
  })

  it('keeps counting correctly after dropping a long run of done records', () => {
    const tracker = new OffsetTracker()
    const tickets = Array.from({ length: 3000 }, (_, offset) => tracker.track('events', 0, BigInt(offset)))
    for (const ticket of tickets.slice(0, 2500)) tracker.done(ticket)
    expect(due(tracker)).toEqual([{ topic: 'events', partition: 0, nextOffset: 2500n }])
    for (const ticket of tickets.slice(2500)) tracker.done(ticket)
    expect(due(tracker)).toEqual([{ topic: 'events', partition: 0, nextOffset: 3000n }])
  })

  it('reports as lag the records seen but not committed', () => {
    const tracker = new OffsetTracker()
    const tickets = [100n, 101n, 102n, 103n].map((offset) => tracker.track('events', 0, offset))
    expect(tracker.lag()).toBe(4)
    for (const ticket of tickets.slice(0, 2)) tracker.done(ticket)
    for (const position of tracker.commitsDue()) tracker.committed(position)
    expect(tracker.lag()).toBe(2)
  })

  it('reports the append time of the oldest record without a final outcome, over all partitions', () => {
    const tracker = new OffsetTracker()
    expect(tracker.oldestPendingAt()).toBeUndefined()
    const a0 = tracker.track('events', 0, 0n, 1000)
    const a1 = tracker.track('events', 0, 1n, 1500)
    const b0 = tracker.track('events', 1, 0n, 1200)
    expect(tracker.oldestPendingAt()).toBe(1000)
    tracker.done(a0)
    expect(tracker.oldestPendingAt()).toBe(1200)
    tracker.done(b0)
    expect(tracker.oldestPendingAt()).toBe(1500)
    tracker.done(a1)
    expect(tracker.oldestPendingAt()).toBeUndefined()
  })
})
