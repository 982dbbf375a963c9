import { describe, expect, it } from 'vitest'
import { DONE, EventDedupe, PENDING } from '../../src/ingest/dedupe.ts'
import { memoryDedupeStore } from '../../src/ingest/memory-dedupe-store.ts'

describe('in-process dedupe (no Redis)', () => {
  it('claims, confirms and releases ids like the Redis store', async () => {
    const dedupe = new EventDedupe(memoryDedupeStore(100), 3600, 60)
    expect(await dedupe.claim('web', ['a', 'b'])).toEqual(['claimed', 'claimed'])
    expect(await dedupe.claim('web', ['a', 'c'])).toEqual(['in_flight', 'claimed'])
    await dedupe.markDone('web', ['a'])
    await dedupe.release('web', ['b'])
    expect(await dedupe.claim('web', ['a', 'b'])).toEqual(['duplicate', 'claimed'])
    // Sources have their own id spaces.
    expect(await dedupe.claim('app', ['a'])).toEqual(['claimed'])
  })

  it('forgets ids after their TTL', async () => {
    let now = 0
    const store = memoryDedupeStore(100, () => now)
    expect(await store.claim(['k'], 60)).toEqual([''])
    await store.mark(['k'], DONE, 10)
    now = 9_999
    expect(await store.claim(['k'], 60)).toEqual([DONE])
    now = 10_000
    expect(await store.claim(['k'], 60)).toEqual([''])
    now = 69_999
    expect(await store.claim(['k'], 60)).toEqual([PENDING])
  })

  it('stays within its key limit by forgetting the oldest writes first', async () => {
    const store = memoryDedupeStore(3)
    await store.claim(['a', 'b', 'c'], 60)
    await store.mark(['a'], DONE, 3600)
    await store.claim(['d'], 60)
    // b was the oldest write (a was rewritten when it was confirmed), so b is the one forgotten.
    expect(await store.claim(['a', 'b'], 60)).toEqual([DONE, ''])
  })
})
