import type { PlayerEvent } from '../event.ts'
import type { RequestFacts } from '../ingest/enrich.ts'
import type { Tracer } from './tracer.ts'

/** The `received` stage of each sampled event the bus acknowledged. */
export function traceReceived(tracer: Tracer | undefined, events: PlayerEvent[], facts: RequestFacts): void {
  if (!tracer?.enabled) return
  for (const { event_id } of events) {
    if (!tracer.sampled(event_id)) continue
    tracer.record(event_id, {
      stage: 'received',
      at: facts.receivedAt,
      source: facts.source,
      format: facts.format ?? 'unknown',
      node: facts.node,
    })
  }
}

/** The wire format of a request: its media type, plus its content encoding when compressed. */
export function wireFormat(contentType: string | undefined, contentEncoding: string | undefined): string {
  const media = contentType?.split(';')[0]?.trim() || 'unknown'
  return contentEncoding ? `${media}+${contentEncoding}` : media
}
