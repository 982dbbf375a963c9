import { createRequire } from 'node:module'
import { afterEach, expect, it, vi } from 'vitest'
import '../../src/bus/kafkajs-idle-timer.ts'

interface Queue {
  throttledUntil: number
  throttleCheckTimeoutId: NodeJS.Timeout | null
  pending: unknown[]
  scheduleCheckPendingRequests(): void
  destroy(): void
}
const require = createRequire(import.meta.url)
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as new (options: object) => Queue
const logger = { debug() {}, info() {}, warn() {}, error() {} }
const newQueue = () =>
  new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 30_000, clientId: 't', broker: 'b', logger })

afterEach(() => {
  vi.restoreAllMocks()
})

it('schedules no check while no request waits (kafkajs set one about minus the epoch ms ahead)', () => {
  const timeouts = vi.spyOn(globalThis, 'setTimeout')
  const queue = newQueue()
  queue.scheduleCheckPendingRequests()
  expect(queue.throttleCheckTimeoutId).toBeNull()
  expect(timeouts).not.toHaveBeenCalled()
  queue.destroy()
})

it('checks waiting requests when the throttle ends, or soon when they wait for an in-flight slot', () => {
  const timeouts = vi.spyOn(globalThis, 'setTimeout')
  const throttled = newQueue()
  throttled.pending.push({})
  throttled.throttledUntil = Date.now() + 5_000
  throttled.scheduleCheckPendingRequests()
  const delay = timeouts.mock.calls[0]?.[1] as number
  expect(delay).toBeGreaterThan(4_900)
  expect(delay).toBeLessThanOrEqual(5_000)
  throttled.destroy()

  const waiting = newQueue()
  waiting.pending.push({})
  waiting.scheduleCheckPendingRequests()
  expect(timeouts.mock.calls[1]?.[1]).toBe(10)
  waiting.destroy()
})
