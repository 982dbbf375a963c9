import type { Logger } from 'pino'
import type { CapAction } from '../config/types.ts'
import type { TokenSource } from './rate-cap.ts'
import { eventViewHash } from './sampling.ts'

/**
 * Applies a connector's cap to each event, spending tokens fetched from a TokenSource in chunks so the
 * store (Redis) sees one round trip per chunk, never one per event. At the cap, the action decides:
 *   - delay: the event waits for tokens (backpressure: the consumer stops taking records, nothing is lost);
 *   - drop: the event is dropped (counted);
 *   - sample: views are kept or dropped whole: an event passes only when its view hash is below a fraction
 *     that adapts every 250 ms to the share of demand the cap can serve (down in proportion when tokens
 *     ran out, back up about 10 % a second while the store's grants are not running short). The cap stays
 *     hard: when tokens run out before the fraction has adapted, the events past it are dropped too, so
 *     views near the boundary may lose part of their events while the fraction moves. The views kept are
 *     always those with the lowest hashes (the ones sampling at a lower rate keeps), and at a steady load
 *     most of them whole (85 to 95 % of the kept views over any one second, in the tests).
 * When the store fails (Redis down), the gate fails open for a second at a time: events pass uncapped and
 * are counted, because holding back the whole pipeline for a rate limiter would be worse.
 */

export type CapDecision = 'admit' | 'drop' | 'stopped'

export interface CapMetrics {
  capped(action: CapAction): void
  failOpen(): void
}

export interface CapGateOptions {
  source: TokenSource
  action: CapAction
  /** Largest number of tokens fetched in one round trip (the chunk adapts between 1 and this). */
  maxChunk: number
  /** Unspent local tokens expire after this long, so an idle process cannot hoard a burst (rate caps). */
  tokenTtlMs: number
  /** Seed of the view hash, the connector's sampling seed, so `sample` keeps the views sampling keeps. */
  seed?: string
  metrics?: CapMetrics
  log?: Logger
  now?: () => number
}

/** Longest wait before asking the store again (a budget exhausted until midnight is re-checked each second). */
const MAX_RETRY_MS = 1000
const FAIL_OPEN_MS = 1000
const SAMPLE_WINDOW_MS = 250
/** Probing back up: +2.5 % a window (about +10 % a second), and a floor so 0 can recover. */
const SAMPLE_GROWTH = 1.025
const SAMPLE_FLOOR_STEP = 0.001

export class CapGate {
  readonly #options: CapGateOptions
  readonly #now: () => number
  #tokens = 0
  #tokensAt = 0
  #chunk = 1
  /** The store is not asked again before this (it said to wait). */
  #nextTakeAt = 0
  #failOpenUntil = 0
  #failing = false
  #taking: Promise<void> | undefined
  #fraction = 1
  #windowStart = 0
  #nearCap = false
  #attempted = 0
  #denied = 0
  #demand = 0

  constructor(options: CapGateOptions) {
    this.#options = options
    this.#now = options.now ?? Date.now
  }

  /** The current keep fraction of the `sample` action (1 when not capping). */
  get fraction(): number {
    return this.#fraction
  }

  /**
   * Decides for one event. Resolves at once while local tokens last; with `delay` it waits for tokens,
   * and resolves 'stopped' if `signal` aborts meanwhile (the worker is stopping).
   */
  async admit(event: { view_id?: unknown }, signal?: AbortSignal): Promise<CapDecision> {
    const { action, metrics } = this.#options
    let now = this.#now()
    if (action === 'sample') {
      this.#roll(now)
      this.#demand++
      if (this.#fraction < 1 && eventViewHash(event, this.#options.seed) >= this.#fraction) {
        metrics?.capped('sample')
        return 'drop'
      }
      this.#attempted++
    }
    let waited = false
    for (;;) {
      if (now < this.#failOpenUntil) {
        metrics?.failOpen()
        return 'admit'
      }
      if (this.#tokens > 0 && now - this.#tokensAt < this.#options.tokenTtlMs) {
        this.#tokens--
        return 'admit'
      }
      if (now < this.#nextTakeAt) {
        if (action !== 'delay') {
          if (action === 'sample') this.#denied++
          metrics?.capped(action)
          return 'drop'
        }
        if (!waited) metrics?.capped('delay')
        waited = true
        if (!(await sleep(Math.min(this.#nextTakeAt - now, MAX_RETRY_MS), signal))) return 'stopped'
      } else {
        await this.#take()
      }
      if (signal?.aborted) return 'stopped'
      now = this.#now()
    }
  }

  /** One round trip for everyone waiting: concurrent callers share it. */
  #take(): Promise<void> {
    this.#taking ??= this.#fetch().finally(() => {
      this.#taking = undefined
    })
    return this.#taking
  }

  async #fetch(): Promise<void> {
    const { source, maxChunk, log } = this.#options
    // Grow the chunk while chunks are used up in time, shrink it when tokens expired unspent.
    if (this.#tokens > 0) this.#chunk = Math.max(1, Math.ceil(this.#chunk / 2))
    else this.#chunk = Math.min(maxChunk, this.#chunk * 2)
    const wanted = this.#chunk
    try {
      const grant = await source.take(wanted)
      const now = this.#now()
      this.#tokens = grant.granted
      this.#tokensAt = now
      // A short grant means the bucket is nearly empty: no room to let more views in.
      if (grant.granted < wanted) this.#nearCap = true
      this.#nextTakeAt =
        grant.granted < wanted ? now + Math.min(Math.max(1, grant.retryAfterMs), MAX_RETRY_MS) : 0
      if (this.#failing) log?.info('cap store reachable again: capping resumed')
      this.#failing = false
    } catch (error) {
      this.#tokens = 0
      this.#failOpenUntil = this.#now() + FAIL_OPEN_MS
      if (!this.#failing) log?.warn({ err: error }, 'cap store unavailable: events pass uncapped (fail open)')
      this.#failing = true
    }
  }

  /** Adapts the `sample` fraction once a window. */
  #roll(now: number): void {
    if (now - this.#windowStart < SAMPLE_WINDOW_MS) return
    if (this.#denied > 0 && this.#attempted > 0) {
      this.#fraction *= (this.#attempted - this.#denied) / this.#attempted
    } else if (this.#demand > 0 && this.#fraction < 1 && !this.#nearCap) {
      this.#fraction = Math.min(1, this.#fraction * SAMPLE_GROWTH + SAMPLE_FLOOR_STEP)
    }
    this.#windowStart = now
    this.#nearCap = false
    this.#attempted = 0
    this.#denied = 0
    this.#demand = 0
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      resolve(ok)
    }
    const onAbort = () => done(false)
    const timer = setTimeout(() => done(true), Math.max(1, ms))
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
