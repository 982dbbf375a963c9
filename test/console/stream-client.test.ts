import type { ServerResponse } from 'node:http'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ConsoleItem, ItemsMessage } from '../../src/console/protocol.ts'
import { StreamClient } from '../../src/console/stream-client.ts'

/** A response that records what the client writes, and can play a browser that stopped reading. */
function fakeResponse() {
  const written: string[] = []
  const res = { writableNeedDrain: false, write: (s: string) => written.push(s) > 0, end: vi.fn() }
  const items = () =>
    written
      .filter((w) => w.startsWith('event: items\n'))
      .map((w) => JSON.parse(w.slice(w.indexOf('data: ') + 6)) as ItemsMessage)
  return { res, written, items, response: res as unknown as ServerResponse }
}

const item = (kind: ConsoleItem['kind'], n: number): ConsoleItem =>
  kind === 'accepted'
    ? { kind, at: n, source: 'web', type: 'heartbeat', viewId: `v${n}`, event: {} }
    : { kind, at: n, source: 'web', type: null, viewId: null, index: 0, errors: [], raw: null }

beforeEach(() => vi.useFakeTimers({ now: 0 }))
afterEach(() => vi.useRealTimers())

describe('a stream to one browser', () => {
  it('sends at most its budget a second of each kind, and counts the rest as not shown', () => {
    const { response, items } = fakeResponse()
    const client = new StreamClient(response, {}, 50)
    for (let n = 0; n < 120; n++) client.offer(item('accepted', n), 0)
    for (let n = 0; n < 3; n++) client.offer(item('rejected', n), 0)
    vi.advanceTimersByTime(100)
    expect(items()).toHaveLength(1)
    expect(items()[0]?.items.filter((i) => i.kind === 'accepted')).toHaveLength(50)
    expect(items()[0]?.items.filter((i) => i.kind === 'rejected')).toHaveLength(3)
    expect(items()[0]?.notShown).toBe(70)

    // A new second, a new budget; the count of what was not shown goes on.
    client.offer(item('accepted', 200), 1000)
    vi.advanceTimersByTime(100)
    expect(items()[1]).toMatchObject({ items: [{ viewId: 'v200' }], notShown: 70 })
    client.close()
  })

  it('counts what a browser that stopped reading would have got, instead of buffering it', () => {
    const { res, response, items } = fakeResponse()
    const client = new StreamClient(response, { type: 'heartbeat' }, 50)
    res.writableNeedDrain = true
    for (let n = 0; n < 10; n++) client.offer(item('accepted', n), 0)
    vi.advanceTimersByTime(100)
    expect(items()).toEqual([])
    res.writableNeedDrain = false
    vi.advanceTimersByTime(100)
    expect(items()).toEqual([{ items: [], notShown: 10 }])
    client.close()
    expect(res.end).toHaveBeenCalled()
  })

  it('sends nothing its filters leave out, not even a count', () => {
    const { response, written } = fakeResponse()
    const client = new StreamClient(response, { source: 'tv' }, 50)
    client.offer(item('accepted', 1), 0)
    vi.advanceTimersByTime(15_000)
    expect(written.filter((w) => !w.startsWith(':'))).toEqual([])
    client.close()
  })
})
