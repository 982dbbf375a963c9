import { once } from 'node:events'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Bus } from '../bus/bus.ts'
import { CoalescingAppender } from '../bus/coalescing-appender.ts'
import type { FramewireConfig } from '../config/types.ts'
import { registerConsole } from '../console/console-routes.ts'
import { startConsole } from '../console/start-console.ts'
import { createEventValidator } from '../dictionary/event-validator.ts'
import { buildIngestApp } from '../ingest/app.ts'
import { EventDedupe } from '../ingest/dedupe.ts'
import { memoryDedupeStore } from '../ingest/memory-dedupe-store.ts'
import { ingestMetrics } from '../ingest/metrics.ts'
import { redisDedupeStore } from '../ingest/redis-dedupe-store.ts'
import { SourceRegistry } from '../ingest/sources.ts'
import { registerTraceRoutes } from '../trace/trace-route.ts'
import type { Tracer } from '../trace/tracer.ts'
import { connectRedis } from './connect-redis.ts'

export interface RunningIngest {
  /** host:port the server listens on. */
  address: string
  sources: SourceRegistry
  /** The live event console, when enabled; `url` carries the token, for printing in development. */
  console?: { token: string; url: string }
  /**
   * Reports not ready, waits `ingest.shutdown_delay_ms` (the load balancer takes it out meanwhile), then
   * stops accepting and waits for requests in flight and their produce acks.
   */
  stop(): Promise<void>
}

/** Gives Redis a moment at start-up, so the first requests are deduped; a Redis that is down does not block. */
async function readyWithin(redis: Redis | undefined, ms: number) {
  if (!redis || redis.status === 'ready') return
  // once() also settles on the first 'error' event: a refused connection ends the wait early.
  await Promise.race([
    once(redis, 'ready').catch(() => undefined),
    new Promise((r) => setTimeout(r, ms).unref()),
  ])
}

/** `moreReady` adds the checks of workers sharing the process. */
export async function startIngest(
  config: FramewireConfig,
  bus: Bus,
  logger: Logger,
  moreReady?: () => Record<string, string>,
  tracer?: Tracer,
): Promise<RunningIngest> {
  let draining = false
  const redis = connectRedis(config.redis.url, logger)
  await readyWithin(redis, 2000)
  const appender = new CoalescingAppender(bus, {
    lingerMs: config.produce.linger_ms,
    maxRecords: config.produce.max_batch_records,
    onFlush(records, seconds, ok) {
      ingestMetrics.produceBatchSize.observe(records)
      ingestMetrics.produceLatency.observe({ outcome: ok ? 'ok' : 'error' }, seconds)
    },
  })
  const sources = new SourceRegistry(config.sources)
  const consoleService = config.console.enabled ? await startConsole(config, bus, logger) : undefined
  const app = await buildIngestApp({
    config,
    sources,
    logger,
    validator: createEventValidator(),
    dedupe: new EventDedupe(
      redis ? redisDedupeStore(redis) : memoryDedupeStore(config.redis.local_dedupe_max_ids),
      config.redis.dedupe_ttl_seconds,
      config.redis.pending_ttl_seconds,
    ),
    appender,
    ...(tracer ? { tracer } : {}),
    // Without the bus nothing can be accepted; without Redis ingest still accepts (no dedupe), so it stays ready.
    async checkReady() {
      if (draining) throw new Error('shutting down: draining connections')
      await bus.ping()
      const workers = moreReady?.() ?? {}
      if (!redis) return { bus: 'ok', redis: 'not configured: dedupe in this process', ...workers }
      const redisState = await redis.ping().then(
        () => 'ok',
        () => 'unavailable: accepting without dedupe',
      )
      return { bus: 'ok', redis: redisState, ...workers }
    },
    ...(consoleService ? { onRejected: (rejection) => consoleService.onRejected(rejection) } : {}),
  })
  // The console shares the ingest's port: the page is opened where the players post.
  if (consoleService) await registerConsole(app, consoleService)
  // While draining, each answer asks its client to reconnect, which the load balancer sends elsewhere.
  app.addHook('onSend', async (_request, reply) => {
    if (draining) reply.header('connection', 'close')
  })
  // Registered with tracing off too, so a request learns that rather than a bare 404.
  if (tracer)
    registerTraceRoutes(app, { tracer, token: consoleService?.token ?? (config.console.token || undefined) })
  await app.listen({ host: config.ingest.host, port: config.ingest.port })
  const info = app.server.address()
  const address = typeof info === 'object' && info ? `${info.address}:${info.port}` : String(info)
  logger.info({ address }, 'ingest listening')
  return {
    address,
    sources,
    ...(consoleService ? { console: consoleService.announce(address) } : {}),
    async stop() {
      draining = true
      if (config.ingest.shutdown_delay_ms > 0) {
        logger.info({ delayMs: config.ingest.shutdown_delay_ms }, 'not ready; draining before closing')
        await new Promise((r) => setTimeout(r, config.ingest.shutdown_delay_ms))
      }
      await app.close()
      await consoleService?.stop()
      await appender.drain()
      redis?.disconnect()
    },
  }
}
