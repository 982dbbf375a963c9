import type { Logger } from 'pino'
import { connectRedis } from '../app/connect-redis.ts'
import type { FramewireConfig } from '../config/types.ts'
import { memoryTraceStore } from './memory-trace-store.ts'
import { redisTraceStore } from './redis-trace-store.ts'
import { Tracer } from './tracer.ts'

export interface RunningTracer {
  tracer: Tracer
  /** Flushes what is pending and lets go of Redis. */
  stop(): Promise<void>
}

/**
 * One tracer per process, shared by its ingest and workers. On Kafka with a redis.url, processes share
 * traces through Redis; on the embedded bus (one process) they stay in memory, bounded by max_events.
 */
export function startTracer(config: FramewireConfig, logger: Logger): RunningTracer {
  const log = logger.child({ component: 'trace' })
  const { trace } = config
  const redis =
    trace.sampling !== 'off' && config.bus.type === 'kafka' ? connectRedis(config.redis.url, log) : undefined
  if (trace.sampling !== 'off' && !redis && config.bus.type === 'kafka')
    log.warn('traces kept in this process: without redis.url, other processes do not see its stages')
  const store = redis
    ? redisTraceStore(redis, trace.max_stages)
    : memoryTraceStore(trace.max_events, trace.max_stages)
  const tracer = new Tracer(trace, store, log)
  return {
    tracer,
    async stop() {
      await tracer.close()
      redis?.disconnect()
    },
  }
}
