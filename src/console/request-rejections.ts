import type { FastifyInstance } from 'fastify'
import type { SourceRegistry } from '../ingest/sources.ts'
import { writeKeyOf } from '../ingest/sources.ts'
import type { Issue, RejectedItem } from './protocol.ts'

/**
 * Requests refused as a whole (400: malformed JSON, not a batch) never reach the bus, so only the node that
 * answered them can show them. Requests without a known write key are left out: anyone can send those.
 */
export function watchRequestRejections(
  app: FastifyInstance,
  eventsRoute: string,
  sources: SourceRegistry,
  onItem: (item: RejectedItem) => void,
): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode !== 400 || request.routeOptions.url !== eventsRoute) return payload
    const source = sources.find(writeKeyOf(request))
    if (!source || typeof payload !== 'string') return payload
    const body = JSON.parse(payload) as { message?: string; errors?: Issue[] }
    onItem({
      kind: 'rejected',
      at: Date.now(),
      source: source.name,
      type: null,
      viewId: null,
      index: null,
      errors: body.errors?.length ? body.errors : [{ pointer: '', message: String(body.message) }],
      raw: null,
    })
    return payload
  })
}
