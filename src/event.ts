/** A player event as the data dictionary (collectors-schema/) defines it. */
export interface PlayerEvent {
  event_id: string
  type: string
  /** Client clock, epoch ms. */
  ts: number
  session_id: string
  view_id: string
  /** Per-view sequence number, so gaps reveal lost events. */
  seq: number
  [field: string]: unknown
}

/** What ingest writes to the events topic: the client's event plus server-side facts. */
export interface EnrichedEvent extends PlayerEvent {
  /** Server clock when the request arrived, epoch ms. */
  received_at: number
  /** `ts` shifted by the client's clock skew, measured from the envelope's `sent_at`. */
  ts_corrected: number
  /** Name of the source whose write key sent the event. */
  source: string
  ingest_node: string
  client_ip: string
  user_agent?: string
}
