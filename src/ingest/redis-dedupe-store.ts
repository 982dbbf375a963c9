import type { Redis } from 'ioredis'
import { type DedupeStore, PENDING } from './dedupe.ts'

// One script call per request instead of one command per event: the client's per-command cost, not
// Redis, was the ingest's bottleneck (bench/results/ingest.json, "redis_dedupe").
const CLAIM = `
local out = {}
for i, key in ipairs(KEYS) do
  local previous = redis.call('SET', key, ARGV[1], 'EX', ARGV[2], 'NX', 'GET')
  if previous then out[i] = previous else out[i] = '' end
end
return out`
const MARK = `
for _, key in ipairs(KEYS) do
  if ARGV[1] == '' then redis.call('DEL', key) else redis.call('SET', key, ARGV[1], 'EX', ARGV[2]) end
end
return #KEYS`

type DedupeRedis = Redis & {
  fwClaim(...args: (string | number)[]): Promise<string[]>
  fwMark(...args: (string | number)[]): Promise<number>
}

/** Claims shared by every ingest node through Redis. */
export function redisDedupeStore(redis: Redis): DedupeStore {
  redis.defineCommand('fwClaim', { lua: CLAIM })
  redis.defineCommand('fwMark', { lua: MARK })
  const client = redis as DedupeRedis
  return {
    claim: (keys, pendingTtlSeconds) => client.fwClaim(keys.length, ...keys, PENDING, pendingTtlSeconds),
    async mark(keys, value, ttlSeconds) {
      await client.fwMark(keys.length, ...keys, value, ttlSeconds)
    },
  }
}
