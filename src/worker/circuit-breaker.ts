import type { CircuitBreakerConfig } from '../config/types.ts'

export type CircuitState = 'closed' | 'open' | 'half-open'

/**
 * Per-connector breaker. A failure is a send whose items all have to be retried (or that threw): the
 * destination is down, so hammering it with the backlog only delays its recovery. While open nothing is
 * sent; after `open_ms` one probe batch decides between closing and opening again.
 */
export class CircuitBreaker {
  #state: CircuitState = 'closed'
  #failures = 0
  #probing = false
  #timer: NodeJS.Timeout | undefined

  private readonly config: CircuitBreakerConfig
  private readonly onChange: (state: CircuitState) => void
  constructor(config: CircuitBreakerConfig, onChange: (state: CircuitState) => void) {
    this.config = config
    this.onChange = onChange
  }

  get state(): CircuitState {
    return this.#state
  }

  /** Asks to send one batch now; in half-open only a single probe may be on its way. */
  tryAcquire(): boolean {
    if (this.#state === 'closed') return true
    if (this.#state === 'open' || this.#probing) return false
    this.#probing = true
    return true
  }

  /** Reports how a send went; `ok` means the destination answered with anything but "try again". */
  record(ok: boolean): void {
    if (ok) {
      this.#failures = 0
      if (this.#state !== 'closed') this.#transition('closed')
      return
    }
    this.#failures++
    // A batch sent before the breaker opened may still fail while open: that changes nothing.
    if (
      this.#state === 'half-open' ||
      (this.#state === 'closed' && this.#failures >= this.config.failure_threshold)
    ) {
      this.#transition('open')
    }
  }

  stop(): void {
    clearTimeout(this.#timer)
  }

  #transition(state: CircuitState): void {
    this.#state = state
    this.#probing = false
    clearTimeout(this.#timer)
    if (state === 'open') this.#timer = setTimeout(() => this.#transition('half-open'), this.config.open_ms)
    this.onChange(state)
  }
}
