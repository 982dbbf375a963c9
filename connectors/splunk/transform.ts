import type { EnrichedEvent } from '../../src/event.ts'

/**
 * One HEC event envelope (https://docs.splunk.com/Documentation/Splunk/latest/Data/FormateventsforHTTPEventCollector):
 * metadata plus the event. Envelopes are concatenated in the request body, not wrapped in an array.
 */
export interface HecEvent {
  /** Epoch seconds with millisecond decimals, as HEC expects. */
  time: number
  host: string
  source: string
  sourcetype: string
  /** Omitted: the token's default index. */
  index?: string
  event: EnrichedEvent
}

export interface TransformOptions {
  host?: string
  source: string
  sourcetype: string
  index?: string
}

export function toHecEvent(event: EnrichedEvent, options: TransformOptions): HecEvent {
  const ms = Number.isFinite(event.ts_corrected) ? event.ts_corrected : event.ts
  const envelope: HecEvent = {
    time: Math.round(ms) / 1000,
    host: options.host ?? event.ingest_node,
    source: options.source,
    sourcetype: options.sourcetype,
    event,
  }
  if (options.index !== undefined) envelope.index = options.index
  return envelope
}
