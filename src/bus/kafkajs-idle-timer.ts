import { createRequire } from 'node:module'

/**
 * kafkajs 2.2.4 schedules its request-queue check `throttledUntil - Date.now()` ms ahead even when no
 * request waits. `throttledUntil` is -1 until a broker throttles, so the delay is about minus the epoch:
 * Node 24 warns (TimeoutNegativeWarning), runs the check after 1 ms, and the check schedules the next one,
 * a 1 ms loop per broker connection. Open upstream: https://github.com/tulios/kafkajs/issues/1751 and
 * https://github.com/tulios/kafkajs/issues/1704. The replacement schedules a check only while requests
 * wait: at the end of the throttle, or after kafkajs' own 10 ms when they wait for an in-flight slot (a
 * fulfilled request checks the queue at once as well). Imported by every module that makes a client.
 */

interface RequestQueue {
  throttledUntil: number
  throttleCheckTimeoutId: NodeJS.Timeout | null
  pending: unknown[]
  checkPendingRequests(): void
  scheduleCheckPendingRequests(): void
}

/** kafkajs' CHECK_PENDING_REQUESTS_INTERVAL. */
const RECHECK_MS = 10
const PATCHED_VERSION = '2.2.4'

const require = createRequire(import.meta.url)
const { version } = require('kafkajs/package.json') as { version: string }
// A later kafkajs may have changed the method; test/bus/kafkajs-idle-timer.test.ts then says so.
if (version === PATCHED_VERSION) {
  const queueClass = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: RequestQueue
  }
  queueClass.prototype.scheduleCheckPendingRequests = function (this: RequestQueue) {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return
    const untilUnthrottled = this.throttledUntil - Date.now()
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null
        this.checkPendingRequests()
      },
      untilUnthrottled > 0 ? untilUnthrottled : RECHECK_MS,
    )
  }
}
