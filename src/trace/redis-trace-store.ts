import type { Redis } from 'ioredis'
import type { TraceStage } from './trace-stages.ts'
import type { TraceStore } from './trace-store.ts'

const key = (eventId: string) => `fw:trace:${eventId}`

// One script call per flush, not commands per event per stage: the client's per-command cost is what
// showed in the ingest benchmark (see redis-dedupe-store.ts). ARGV: max stages, then per key its TTL,
// its keep time (0: none), its stage count and the stages. EXPIRE NX/GT need Redis 7.
const WRITE = `
local max = tonumber(ARGV[1])
local a = 2
for _, k in ipairs(KEYS) do
  local ttl, keep, n = ARGV[a], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  a = a + 3
  local room = math.min(n, max - redis.call('LLEN', k))
  if room > 0 then redis.call('RPUSH', k, unpack(ARGV, a, a + room - 1)) end
  a = a + n
  redis.call('EXPIRE', k, ttl, 'NX')
  if keep > 0 then redis.call('EXPIRE', k, keep, 'GT') end
end
return #KEYS`

type TraceRedis = Redis & { fwTraceWrite(...args: (string | number)[]): Promise<number> }

/** Traces shared by the ingest and every worker process: one list of JSON stages per event. */
export function redisTraceStore(redis: Redis, maxStages: number): TraceStore {
  redis.defineCommand('fwTraceWrite', { lua: WRITE })
  const client = redis as TraceRedis
  return {
    async write(writes) {
      if (writes.length === 0) return
      const args: (string | number)[] = [writes.length, ...writes.map((w) => key(w.eventId)), maxStages]
      for (const { stages, ttlSeconds, keepSeconds } of writes) {
        args.push(ttlSeconds, keepSeconds, stages.length)
        for (const stage of stages) args.push(JSON.stringify(stage))
      }
      await client.fwTraceWrite(...args)
    },
    async read(eventId) {
      const items = await redis.lrange(key(eventId), 0, -1)
      return items.length === 0 ? undefined : items.map((item) => JSON.parse(item) as TraceStage)
    },
  }
}
