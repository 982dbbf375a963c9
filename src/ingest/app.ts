import fastifyCompress from '@fastify/compress'
import underPressure from '@fastify/under-pressure'
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify'
import type { Logger } from 'pino'
import type { FramewireConfig } from '../config/types.ts'
import { type ConsoleRouteDeps, registerConsole } from '../console/console-routes.ts'
import { registerOpsRoutes } from '../observability/ops-routes.ts'
import { type AcceptDeps, acceptEvents } from './accept-events.ts'
import { HttpError } from './http-error.ts'
import { ingestMetrics } from './metrics.ts'
import { parseJson } from './parse-json.ts'
import { allowOrigin, answerPreflight, originAllowed, type SourceRegistry, writeKeyOf } from './sources.ts'

export interface IngestAppDeps extends Omit<AcceptDeps, 'log' | 'maxEvents' | 'produceTimeoutMs' | 'topics'> {
  config: FramewireConfig
  sources: SourceRegistry
  logger: Logger
  /** Resolves when the bus and Redis can serve; rejects with the reason otherwise. */
  checkReady(): Promise<Record<string, string>>
  /** The live event console at /console, when enabled. */
  console?: ConsoleRouteDeps
}

const EVENTS_ROUTE = '/v1/events'

/** Builds the ingest HTTP app; the caller listens, so tests can also use `inject`. */
export async function buildIngestApp(deps: IngestAppDeps): Promise<FastifyInstance> {
  const { config } = deps
  const app = Fastify({
    loggerInstance: deps.logger as FastifyServerOptions['loggerInstance'],
    bodyLimit: config.ingest.body_limit_bytes,
    trustProxy: config.ingest.trust_proxy,
    // A line per beacon would cost more than the request; metrics count them instead.
    logController: new LogController({ disableRequestLogging: true }),
  })

  // Decompression happens in preParsing, so bodyLimit counts decompressed bytes and bounds gzip bombs.
  await app.register(fastifyCompress, {
    globalCompression: false,
    requestEncodings: ['gzip', 'deflate', 'br'],
    onUnsupportedRequestEncoding: (encoding) =>
      new HttpError(
        415,
        'FW_ERR_INGEST_ENCODING',
        `content-encoding "${encoding}" is not supported; use gzip, deflate or br`,
      ),
    onInvalidRequestPayload: (encoding, _request, error) =>
      new HttpError(400, 'FW_ERR_INGEST_ENCODING', `the body is not valid ${encoding}: ${error.message}`),
  })
  await app.register(underPressure, {
    maxEventLoopDelay: config.ingest.under_pressure.max_event_loop_delay_ms,
    maxHeapUsedBytes: config.ingest.under_pressure.max_heap_used_bytes,
    retryAfter: config.ingest.under_pressure.retry_after_seconds,
    message: 'the ingest is overloaded; retry later',
  })

  // navigator.sendBeacon sends a string body as text/plain; both types carry the same JSON envelope.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => {
    ingestMetrics.requestBodyBytes.observe(Buffer.byteLength(body as string))
    try {
      done(null, parseJson(body as string))
    } catch (err) {
      done(err as Error, undefined)
    }
  })

  app.setErrorHandler<Error & { statusCode?: number; code?: string }>((error, request, reply) => {
    const status = error.statusCode ?? 500
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    const message =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `the body is larger than ${config.ingest.body_limit_bytes} bytes (after decompression)`
        : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'content-type must be application/json or text/plain'
          : error.message
    return reply.code(status).send({ error: error.code ?? 'error', message })
  })

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    ingestMetrics.requests.inc({ route, status: reply.statusCode })
    ingestMetrics.requestDuration.observe({ route }, reply.elapsedTime / 1000)
  })

  app.options(EVENTS_ROUTE, async (request, reply) => {
    const origin = request.headers.origin
    const source = deps.sources.find(writeKeyOf(request))
    const allowed =
      origin !== undefined && (source ? originAllowed(source, origin) : deps.sources.anyAllows(origin))
    if (!allowed) return reply.code(403).send({ error: 'origin_not_allowed', message: 'origin not allowed' })
    return answerPreflight(reply, origin)
  })

  app.post(EVENTS_ROUTE, async (request, reply) => {
    const receivedAt = Date.now()
    const source = deps.sources.find(writeKeyOf(request))
    if (!source) {
      return reply.code(401).send({
        error: 'unknown_write_key',
        message: 'send a valid write key in Authorization: Bearer, X-Framewire-Key, or ?key=',
      })
    }
    const origin = request.headers.origin
    if (!originAllowed(source, origin)) {
      return reply.code(403).send({
        error: 'origin_not_allowed',
        message: `origin ${origin} may not send to source ${source.name}`,
      })
    }
    if (origin !== undefined) allowOrigin(reply, origin)
    const result = await acceptEvents(
      request.body,
      {
        receivedAt,
        sentAt: (request.body as { sent_at?: number } | null)?.sent_at ?? receivedAt,
        source: source.name,
        node: config.node_id,
        ip: request.ip,
        userAgent: request.headers['user-agent'],
      },
      {
        ...deps,
        log: request.log as Logger,
        topics: config.topics,
        maxEvents: config.ingest.max_events,
        produceTimeoutMs: config.produce.timeout_ms,
      },
    )
    if (result.status === 503) reply.header('retry-after', String(result.retryAfterSeconds))
    return reply.code(result.status).send(result.body)
  })

  registerOpsRoutes(app, deps.checkReady)
  if (deps.console) await registerConsole(app, deps.console, EVENTS_ROUTE, deps.sources)
  return app
}
