import type { FastifyInstance, FastifyRequest } from 'fastify'
import { presentedToken, tokenMatches } from '../console/console-auth.ts'
import { codes } from '../errors.ts'
import { type EventTrace, inTimeOrder } from './trace-stages.ts'
import type { Tracer } from './tracer.ts'

export interface TraceRouteDeps {
  tracer: Tracer
  /** The console's token; undefined when the console is off and the config names none. */
  token: string | undefined
}

/** The API path, and the console's own one, which its cookie (Path=/console) reaches. */
export const TRACE_ROUTES = ['/v1/events/:event_id/trace', '/console/trace/:event_id'] as const

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined
}

function authorised(request: FastifyRequest, expected: string | undefined): boolean {
  const presented = bearer(request) ?? presentedToken(request)?.token
  return expected !== undefined && presented !== undefined && tokenMatches(presented, expected)
}

/** Why an event has no trace because of sampling, or undefined when sampling keeps it. */
function sampledOut(tracer: Tracer, eventId: string): string | undefined {
  const { sampling, share } = tracer.config
  if (sampling === 'off') return 'trace.sampling is off'
  if (!tracer.sampled(eventId)) return `trace.sampling is share and this event is outside its ${share} share`
  return undefined
}

/** GET the stages of one event, in time order, behind the console token. */
export function registerTraceRoutes(app: FastifyInstance, deps: TraceRouteDeps): void {
  for (const url of TRACE_ROUTES) {
    app.get<{ Params: { event_id: string } }>(url, async (request): Promise<EventTrace> => {
      if (!authorised(request, deps.token)) throw new codes.FW_ERR_TRACE_UNAUTHORIZED()
      const eventId = request.params.event_id
      if (!UUID.test(eventId)) throw new codes.FW_ERR_TRACE_INVALID_EVENT_ID(eventId.slice(0, 100))
      const why = sampledOut(deps.tracer, eventId)
      if (why) throw new codes.FW_ERR_TRACE_SAMPLED_OUT(eventId, why)
      const stages = await deps.tracer.read(eventId)
      if (!stages) {
        const lifetime =
          deps.tracer.config.sampling === 'failed'
            ? `it was never received, or it expired (failed_window_seconds ${deps.tracer.config.failed_window_seconds} without a failure), or was evicted`
            : `it was never received, expired (ttl_seconds ${deps.tracer.config.ttl_seconds}) or was evicted`
        throw new codes.FW_ERR_TRACE_NOT_FOUND(eventId, lifetime)
      }
      return { event_id: eventId, stages: inTimeOrder(stages) }
    })
  }
}
