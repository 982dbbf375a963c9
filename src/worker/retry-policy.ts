import type { RetryConfig } from '../config/types.ts'

/** What the policy needs to know about an item that has been sent at least once. */
export interface AttemptState {
  /** Sends so far, the failed one included. */
  attempts: number
  /** Epoch ms of the first send. */
  firstAttemptAt: number
}

/**
 * Exponential backoff with full jitter (a uniform delay in [0, min(max, initial·2^(n-1))]), so clients
 * recovering from the same outage do not retry in lockstep. A destination's Retry-After is a floor.
 */
export class RetryPolicy {
  private readonly config: Omit<RetryConfig, 'request_timeout_ms'>
  private readonly random: () => number
  constructor(config: Omit<RetryConfig, 'request_timeout_ms'>, random: () => number = Math.random) {
    this.config = config
    this.random = random
  }

  /** A fresh full-jitter delay before attempt `attempts + 1`. */
  backoffMs(attempts: number): number {
    const ceiling = Math.min(
      this.config.max_backoff_ms,
      this.config.initial_backoff_ms * 2 ** Math.max(0, attempts - 1),
    )
    return Math.floor(this.random() * ceiling)
  }

  /**
   * Epoch ms of the next attempt, never before `afterMs` from now, or null when the item is out of attempts
   * or the attempt would fall outside the retry window and must be dead-lettered.
   */
  nextAttemptAt(
    item: AttemptState,
    delayMs: number,
    afterMs: number | undefined,
    now: number,
  ): number | null {
    if (item.attempts >= this.config.max_attempts) return null
    const at = now + Math.max(delayMs, afterMs ?? 0)
    return at - item.firstAttemptAt > this.config.max_elapsed_ms ? null : at
  }
}
