import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'

/**
 * Token stores for a connector's cap: a token bucket (events/s with a burst) and an optional daily budget
 * (events per UTC day). `take(n)` grants up to n tokens in one step, so callers fetch tokens in chunks and
 * spend them locally. Two implementations behind one interface:
 *   - RedisTokenSource: one bucket shared by every worker process, one atomic Lua script, one round trip
 *     per chunk;
 *   - MemoryTokenSource: the same arithmetic in this process only (no Redis configured, and tests).
 */

export interface TokenGrant {
  /** Tokens granted, 0..wanted. */
  granted: number
  /** When fewer than asked were granted: milliseconds until asking again is worth it. */
  retryAfterMs: number
  /** What held the grant back, when something did. */
  limitedBy?: 'rate' | 'budget'
}

export interface TokenSource {
  /** Takes up to `wanted` tokens. Rejects only when the store itself fails (e.g. Redis down). */
  take(wanted: number): Promise<TokenGrant>
}

export interface TokenBucketOptions {
  /** Refill rate, tokens per second; undefined for no rate limit (a daily budget alone). */
  ratePerSecond?: number
  /** Bucket size: the most tokens available at once (default: one second of the rate, at least 1). */
  burst?: number
  /** Tokens per UTC day; undefined for no budget. */
  dailyBudget?: number
}

const DAY_MS = 86_400_000

/** `YYYY-MM-DD` of a UTC instant: the daily budget's key. */
export const utcDay = (now: number): string => new Date(now).toISOString().slice(0, 10)
/** Milliseconds until the next 00:00 UTC. */
export const msUntilNextUtcDay = (now: number): number => DAY_MS - (now % DAY_MS)

export const burstOf = (options: TokenBucketOptions): number =>
  options.burst ?? Math.max(1, Math.ceil(options.ratePerSecond ?? 1))

/** The in-process store: exact within one process, shared with nobody. */
export class MemoryTokenSource implements TokenSource {
  readonly #rate: number | undefined
  readonly #burst: number
  readonly #budget: number | undefined
  readonly #now: () => number
  #tokens: number
  #at: number
  #day = ''
  #used = 0

  constructor(options: TokenBucketOptions, now: () => number = Date.now) {
    this.#rate = options.ratePerSecond
    this.#burst = burstOf(options)
    this.#budget = options.dailyBudget
    this.#now = now
    this.#tokens = this.#burst
    this.#at = now()
  }

  async take(wanted: number): Promise<TokenGrant> {
    return this.takeNow(wanted)
  }

  /** Synchronous take, for callers that have no reason to wait. */
  takeNow(wanted: number): TokenGrant {
    const now = this.#now()
    let granted = wanted
    let limitedBy: TokenGrant['limitedBy']
    let retryAfterMs = 0
    if (this.#rate !== undefined) {
      if (now > this.#at) {
        this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) * this.#rate) / 1000)
        this.#at = now
      }
      granted = Math.min(wanted, Math.floor(this.#tokens))
      if (granted < wanted) limitedBy = 'rate'
    }
    if (this.#budget !== undefined) {
      const day = utcDay(now)
      if (day !== this.#day) [this.#day, this.#used] = [day, 0]
      const left = Math.max(0, this.#budget - this.#used)
      if (left < granted) [granted, limitedBy] = [left, 'budget']
      this.#used += granted
    }
    if (this.#rate !== undefined) this.#tokens -= granted
    if (limitedBy === 'rate' && this.#rate !== undefined) {
      const target = Math.min(wanted, this.#burst)
      retryAfterMs = Math.max(1, Math.ceil(((target - this.#tokens) * 1000) / this.#rate))
    } else if (limitedBy === 'budget') retryAfterMs = msUntilNextUtcDay(now)
    return limitedBy ? { granted, retryAfterMs, limitedBy } : { granted, retryAfterMs }
  }
}

/**
 * KEYS[1]: the bucket hash {tokens, ts}; KEYS[2]: today's budget counter.
 * ARGV: rate/s (0: no rate limit), burst, wanted, daily budget (0: none), counter TTL in seconds.
 * Returns {granted, retry_after_ms, limited_by}. Redis's own clock (TIME) keeps processes consistent.
 */
const TAKE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local budget = tonumber(ARGV[4])
local granted = wanted
local limited = ''
local tokens = 0
if rate > 0 then
  local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
  tokens = tonumber(state[1])
  local ts = tonumber(state[2])
  if tokens == nil or ts == nil then
    tokens = burst
    ts = now
  end
  if now > ts then
    tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
    ts = now
  end
  granted = math.min(wanted, math.floor(tokens))
  if granted < wanted then limited = 'rate' end
end
if budget > 0 then
  local used = tonumber(redis.call('GET', KEYS[2]) or '0')
  local left = math.max(0, budget - used)
  if left < granted then
    granted = left
    limited = 'budget'
  end
  if granted > 0 then
    redis.call('INCRBY', KEYS[2], granted)
    redis.call('EXPIRE', KEYS[2], tonumber(ARGV[5]))
  end
end
local wait = 0
if rate > 0 then
  tokens = tokens - granted
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
  if limited == 'rate' then
    wait = math.max(1, math.ceil((math.min(wanted, burst) - tokens) * 1000 / rate))
  end
end
return {granted, wait, limited}
`
const TAKE_SHA = createHash('sha1').update(TAKE_SCRIPT).digest('hex')

/**
 * The shared store. `key` names the cap, e.g. `fw.cap:cdn-partner`; it is wrapped in a hash tag so the
 * bucket and the daily counters live in one Redis Cluster slot.
 */
export class RedisTokenSource implements TokenSource {
  readonly #base: string
  readonly #rate: number
  readonly #burst: number
  readonly #budget: number

  private readonly redis: Redis
  private readonly now: () => number
  constructor(redis: Redis, key: string, options: TokenBucketOptions, now: () => number = Date.now) {
    this.redis = redis
    this.now = now
    this.#base = `{${key}}`
    this.#rate = options.ratePerSecond ?? 0
    this.#burst = burstOf(options)
    this.#budget = options.dailyBudget ?? 0
  }

  async take(wanted: number): Promise<TokenGrant> {
    const now = this.now()
    const keys = [`${this.#base}:bucket`, `${this.#base}:day:${utcDay(now)}`]
    const args = [this.#rate, this.#burst, wanted, this.#budget, 2 * 86_400]
    let reply: unknown
    try {
      reply = await this.redis.evalsha(TAKE_SHA, keys.length, ...keys, ...args)
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      reply = await this.redis.eval(TAKE_SCRIPT, keys.length, ...keys, ...args)
    }
    const [granted, wait, limited] = reply as [number, number, string]
    if (limited === 'budget') return { granted, retryAfterMs: msUntilNextUtcDay(now), limitedBy: 'budget' }
    if (limited === 'rate') return { granted, retryAfterMs: wait, limitedBy: 'rate' }
    return { granted, retryAfterMs: 0 }
  }
}
