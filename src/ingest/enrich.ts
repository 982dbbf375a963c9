import type { EnrichedEvent, PlayerEvent } from '../event.ts'

export interface RequestFacts {
  receivedAt: number
  /** The envelope's `sent_at`: the client clock when it sent the batch. */
  sentAt: number
  source: string
  node: string
  ip: string
  userAgent: string | undefined
  /** The wire format (media type, content encoding), for traces; not part of the event. */
  format?: string
}

/**
 * Adds the server's facts. The client clock may be off; `receivedAt - sentAt` estimates that skew (plus
 * the network delay, which is small next to typical skews), and `ts_corrected` removes it.
 */
export function enrich(event: PlayerEvent, facts: RequestFacts): EnrichedEvent {
  const skew = facts.receivedAt - facts.sentAt
  return {
    ...event,
    received_at: facts.receivedAt,
    ts_corrected: event.ts + skew,
    source: facts.source,
    ingest_node: facts.node,
    client_ip: facts.ip,
    ...(facts.userAgent ? { user_agent: facts.userAgent } : {}),
  }
}
