import { Redis } from 'ioredis'
import type { Logger } from 'pino'

/** A client that fails fast while Redis is down, for callers that go on without it; undefined for an empty url. */
export function connectRedis(url: string, log: Logger): Redis | undefined {
  if (!url) return undefined
  const redis = new Redis(url, {
    // Fail fast while Redis is down: dedupe, caps and traces go on without it instead of queueing commands.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 250,
    connectTimeout: 1000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  })
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis error'))
  return redis
}
