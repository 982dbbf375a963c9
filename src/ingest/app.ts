import fastifyCompress from '@fastify/compress'
import underPressure from '@fastify/under-pressure'
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify'
import type { Logger } from 'pino'
import type { FramewireConfig } from '../config/types.ts'
import { codes } from '../errors.ts'
import { registerOpsRoutes } from '../observability/ops-routes.ts'
import { wireFormat } from '../trace/ingest-trace.ts'
import { type AcceptDeps, acceptEvents } from './accept-events.ts'
import { answerErrors } from './error-answers.ts'
import type { IngestRejection } from './ingest-rejection.ts'
import { ingestMetrics } from './metrics.ts'
import { parseJsonBodies } from './parse-json.ts'
import { allowOrigin, answerPreflight, originAllowed, type SourceRegistry, writeKeyOf } from './sources.ts'

export interface IngestAppDeps extends Omit<AcceptDeps, 'log' | 'maxEvents' | 'produceTimeoutMs' | 'topics'> {
  config: FramewireConfig
  sources: SourceRegistry
  logger: Logger
  /** Resolves when the bus and Redis can serve; rejects with the reason otherwise. */
  checkReady(): Promise<Record<string, string>>
  /** Told of every request refused as a whole and of every batch with rejected events (the console). */
  onRejected?(rejection: IngestRejection): void
}

const EVENTS_ROUTE = '/v1/events'

/**
 * Builds the ingest HTTP app; the caller may add routes (the console), then listens, so tests can also use
 * `inject`.
 */
export async function buildIngestApp(deps: IngestAppDeps): Promise<FastifyInstance> {
  const { config } = deps
  const errors = answerErrors({
    bodyLimitBytes: config.ingest.body_limit_bytes,
    onAnswer(request, error) {
      if (!deps.onRejected || request.method !== 'POST' || request.routeOptions.url !== EVENTS_ROUTE) return
      deps.onRejected({
        kind: 'request',
        at: Date.now(),
        source: deps.sources.find(writeKeyOf(request))?.name,
        status: error.statusCode ?? 500,
        code: error.code,
        message: error.message,
        errors: error.issues ?? [],
      })
    },
  })
  const app = Fastify({
    loggerInstance: deps.logger as FastifyServerOptions['loggerInstance'],
    bodyLimit: config.ingest.body_limit_bytes,
    trustProxy: config.ingest.trust_proxy,
    // A line per beacon would cost more than the request; metrics count them instead.
    logController: new LogController({ disableRequestLogging: true }),
    frameworkErrors: errors.frameworkErrors,
  })
  errors.install(app)

  // Decompression happens in preParsing, so bodyLimit counts decompressed bytes and bounds gzip bombs.
  await app.register(fastifyCompress, {
    globalCompression: false,
    requestEncodings: ['gzip', 'deflate', 'br'],
    onUnsupportedRequestEncoding: (encoding) => new codes.FW_ERR_INGEST_ENCODING_UNSUPPORTED(encoding),
    onInvalidRequestPayload: (encoding, _request, error) =>
      new codes.FW_ERR_INGEST_ENCODING_INVALID(encoding, error.message),
  })
  await app.register(underPressure, {
    maxEventLoopDelay: config.ingest.under_pressure.max_event_loop_delay_ms,
    maxHeapUsedBytes: config.ingest.under_pressure.max_heap_used_bytes,
    retryAfter: config.ingest.under_pressure.retry_after_seconds,
    customError: codes.FW_ERR_INGEST_OVERLOADED,
  })

  parseJsonBodies(app, (bytes) => ingestMetrics.requestBodyBytes.observe(bytes))

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
    if (!allowed) {
      throw new codes.FW_ERR_INGEST_ORIGIN_NOT_ALLOWED(
        origin ?? '(no Origin header)',
        source ? `source ${source.name}` : 'any source',
      )
    }
    return answerPreflight(reply, origin)
  })

  app.post(EVENTS_ROUTE, async (request, reply) => {
    const receivedAt = Date.now()
    const source = deps.sources.find(writeKeyOf(request))
    if (!source) throw new codes.FW_ERR_INGEST_UNKNOWN_WRITE_KEY()
    const origin = request.headers.origin
    if (!originAllowed(source, origin)) {
      throw new codes.FW_ERR_INGEST_ORIGIN_NOT_ALLOWED(String(origin), `source ${source.name}`)
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
        format: wireFormat(request.headers['content-type'], request.headers['content-encoding']),
      },
      {
        ...deps,
        log: request.log as Logger,
        topics: config.topics,
        maxEvents: config.ingest.max_events,
        produceTimeoutMs: config.produce.timeout_ms,
      },
    )
    if (result.rejected.length > 0) {
      deps.onRejected?.({ kind: 'events', at: receivedAt, source: source.name, rejected: result.rejected })
    }
    return reply.code(202).send(result)
  })

  registerOpsRoutes(app, deps.checkReady)
  return app
}
