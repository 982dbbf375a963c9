import type { ServerResponse } from 'node:http'
import { type ItemFilter, matches } from './filters.ts'
import type { ConsoleItem, StreamMessages } from './protocol.ts'

/** Items go out in batches this often: one SSE message per batch instead of one per event. */
const FLUSH_MS = 100
/** A comment line this often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000

/**
 * One browser's SSE stream: applies its filters and caps what it sends, so a busy pipeline cannot flood a
 * tab. Each kind (accepted, rejected) has its own budget per second, so a flood of one never hides the
 * other; what is over the budget, or cannot be written because the browser reads too slowly, is only
 * counted.
 */
export class StreamClient {
  readonly #res: ServerResponse
  readonly #filter: ItemFilter
  readonly #maxPerSecond: number
  #pending: ConsoleItem[] = []
  #notShown = 0
  #notShownSent = 0
  #windowStart = 0
  #sentInWindow = { accepted: 0, rejected: 0 }
  readonly #flushTimer: NodeJS.Timeout
  readonly #heartbeatTimer: NodeJS.Timeout

  constructor(res: ServerResponse, filter: ItemFilter, maxPerSecond: number) {
    this.#res = res
    this.#filter = filter
    this.#maxPerSecond = maxPerSecond
    this.#flushTimer = setInterval(() => this.#flush(), FLUSH_MS)
    this.#heartbeatTimer = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS)
  }

  send<K extends keyof StreamMessages>(event: K, data: StreamMessages[K]): void {
    this.#res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
  }

  /** The items of `recent` this stream's filters keep, newest last. */
  backlog(recent: readonly ConsoleItem[]): ConsoleItem[] {
    return recent.filter((item) => matches(this.#filter, item))
  }

  offer(item: ConsoleItem, now = Date.now()): void {
    if (!matches(this.#filter, item)) return
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now
      this.#sentInWindow = { accepted: 0, rejected: 0 }
    }
    if (this.#sentInWindow[item.kind] >= this.#maxPerSecond) {
      this.#notShown++
      return
    }
    this.#sentInWindow[item.kind]++
    this.#pending.push(item)
  }

  #flush(): void {
    if (this.#res.writableNeedDrain) {
      this.#notShown += this.#pending.length
      this.#pending = []
      return
    }
    if (this.#pending.length === 0 && this.#notShown === this.#notShownSent) return
    this.send('items', { items: this.#pending, notShown: this.#notShown })
    this.#pending = []
    this.#notShownSent = this.#notShown
  }

  close(): void {
    clearInterval(this.#flushTimer)
    clearInterval(this.#heartbeatTimer)
    this.#res.end()
  }
}
