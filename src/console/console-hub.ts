import type { ServerResponse } from 'node:http'
import type { ItemFilter } from './filters.ts'
import type { ConsoleItem, StatsSample } from './protocol.ts'
import { StreamClient } from './stream-client.ts'

export interface HubOptions {
  node: string
  /** Items kept for a page that opens now. */
  recentItems: number
  /** Stats samples kept for the charts of a page that opens now (one a second). */
  recentStats: number
  maxItemsPerSecond: number
}

/** Fans items and stats out to every open stream, and keeps the recent ones for streams opened later. */
export class ConsoleHub {
  readonly #options: HubOptions
  readonly #clients = new Set<StreamClient>()
  readonly #recent: ConsoleItem[] = []
  readonly #stats: StatsSample[] = []

  constructor(options: HubOptions) {
    this.#options = options
  }

  publish(item: ConsoleItem): void {
    keepLast(this.#recent, item, this.#options.recentItems)
    for (const client of this.#clients) client.offer(item)
  }

  publishStats(sample: StatsSample): void {
    keepLast(this.#stats, sample, this.#options.recentStats)
    for (const client of this.#clients) client.send('stats', sample)
  }

  /** Starts a stream on `res` (headers already sent) and returns a function that ends it. */
  open(res: ServerResponse, filter: ItemFilter): () => void {
    const client = new StreamClient(res, filter, this.#options.maxItemsPerSecond)
    client.send('hello', {
      node: this.#options.node,
      maxItemsPerSecond: this.#options.maxItemsPerSecond,
      recent: client.backlog(this.#recent),
      stats: this.#stats,
    })
    this.#clients.add(client)
    return () => {
      if (this.#clients.delete(client)) client.close()
    }
  }

  /** Ends every stream, so the HTTP server can close. */
  closeAll(): void {
    for (const client of this.#clients) client.close()
    this.#clients.clear()
  }
}

function keepLast<T>(list: T[], item: T, max: number): void {
  list.push(item)
  if (list.length > max) list.splice(0, list.length - max)
}
