import type { ConnectorStats } from '../observability/connector-stats.ts'

/**
 * What the console's SSE stream sends. Shared by the server and the browser bundle, so both sides agree on
 * every field at compile time.
 */

export interface Issue {
  pointer: string
  message: string
}

/** An event accepted by any ingest node, read back from the events topic. */
export interface AcceptedItem {
  kind: 'accepted'
  /** Broker append time, epoch ms. */
  at: number
  source: string
  type: string
  viewId: string
  event: Record<string, unknown>
}

/**
 * A rejected event (from the invalid topic, any node), or a whole request this node refused with 400:
 * then `index` is null and `raw` holds nothing, since the body was not a batch.
 */
export interface RejectedItem {
  kind: 'rejected'
  at: number
  source: string
  type: string | null
  viewId: string | null
  index: number | null
  errors: Issue[]
  raw: unknown
}

export type ConsoleItem = AcceptedItem | RejectedItem

/** One connector's figures over the last second (type-only: the browser bundle takes none of its code). */
export type ConnectorSample = ConnectorStats

export interface StatsSample {
  at: number
  connectors: ConnectorSample[]
}

/** First message on every stream: enough to draw the whole page at once. */
export interface HelloMessage {
  node: string
  /** Most items per second and kind this stream carries; the rest is counted in `notShown`. */
  maxItemsPerSecond: number
  recent: ConsoleItem[]
  stats: StatsSample[]
}

export interface ItemsMessage {
  items: ConsoleItem[]
  /** Items that matched the filters but were over the rate cap, since this stream opened. */
  notShown: number
}

/** The SSE event names, with the payload each carries. */
export interface StreamMessages {
  hello: HelloMessage
  items: ItemsMessage
  stats: StatsSample
}
