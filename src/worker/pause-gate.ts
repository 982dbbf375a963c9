import type { PauseCause } from './connector.ts'

export interface PauseState {
  cause: PauseCause
  reason: string
}

/**
 * Holds a connector whose destination refuses everything until someone or something acts (credentials
 * refused, quota exhausted). Unlike the circuit breaker it counts no failures and lets no attempt count
 * against the records: it stops sending, and once per probe interval lets one batch through to see
 * whether the refusal is over.
 */
export class PauseGate {
  #state: PauseState | undefined
  #probeDue = false
  #probing = false
  #timer: NodeJS.Timeout | undefined
  readonly #onChange: (state: PauseState | undefined) => void

  constructor(onChange: (state: PauseState | undefined) => void) {
    this.#onChange = onChange
  }

  get state(): PauseState | undefined {
    return this.#state
  }

  /** Whether a batch may start now: always when not paused, else only the one probe once it is due. */
  mayStart(): boolean {
    return this.#state === undefined || (this.#probeDue && !this.#probing)
  }

  /** The batch `mayStart` allowed is on its way. */
  started(): void {
    if (this.#state) this.#probing = true
  }

  /** The destination answered "paused" again (or for the first time): wait `probeMs` before the next try. */
  pause(state: PauseState, probeMs: number, onProbeDue: () => void): void {
    const first = this.#state === undefined
    this.#state = state
    this.#probing = false
    this.#probeDue = false
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#probeDue = true
      onProbeDue()
    }, probeMs)
    if (first) this.#onChange(state)
  }

  /** A batch came back without a pause: the refusal is over. */
  resume(): void {
    if (!this.#state) return
    this.#state = undefined
    this.#probing = false
    this.#probeDue = false
    clearTimeout(this.#timer)
    this.#onChange(undefined)
  }

  stop(): void {
    clearTimeout(this.#timer)
  }
}
