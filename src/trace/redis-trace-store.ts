import type { Redis } from 'ioredis'
import type { TraceStage } from './trace-stages.ts'
import type { TraceStore } from './trace-store.ts'

const key = (eventId: string) => `fw:trace:${eventId}`

// One script call per flush with one JSON argument, not commands (or arguments) per event per stage: the
// client's per-command and per-argument cost is what showed in the ingest benchmark (bench/README.md).
// The payload: [[key, ttl, keep (0: none), [stage, ...]], ...]. EXPIRE NX/GT need Redis 7. cjson encodes
// numbers with 14 significant digits, enough for epoch milliseconds.
const WRITE = `
local max = tonumber(ARGV[1])
for _, w in ipairs(cjson.decode(ARGV[2])) do
  local k, stages = w[1], w[4]
  local length = 0
  for _, stage in ipairs(stages) do length = redis.call('RPUSH', k, cjson.encode(stage)) end
  if length > max then redis.call('LTRIM', k, 0, max - 1) end
  redis.call('EXPIRE', k, w[2], 'NX')
  if w[3] > 0 then redis.call('EXPIRE', k, w[3], 'GT') end
end
return 0`

type TraceRedis = Redis & { fwTraceWrite(...args: (string | number)[]): Promise<number> }

/** Traces shared by the ingest and every worker process: one list of JSON stages per event. */
export function redisTraceStore(redis: Redis, maxStages: number): TraceStore {
  redis.defineCommand('fwTraceWrite', { lua: WRITE, numberOfKeys: 0 })
  const client = redis as TraceRedis
  return {
    async write(writes) {
      if (writes.length === 0) return
      const payload = writes.map((w) => [key(w.eventId), w.ttlSeconds, w.keepSeconds, w.stages])
      await client.fwTraceWrite(maxStages, JSON.stringify(payload))
    },
    async read(eventId) {
      const items = await redis.lrange(key(eventId), 0, -1)
      return items.length === 0 ? undefined : items.map((item) => JSON.parse(item) as TraceStage)
    },
  }
}
