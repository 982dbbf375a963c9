/**
 * Counts the records a connector holds and makes the consumer wait at the limit, so while a destination is
 * down its backlog stays in the bus instead of in memory.
 */
export class BufferLimit {
  #held = 0
  #waiters: (() => void)[] = []

  private readonly limit: number
  private readonly onChange: (held: number) => void
  constructor(limit: number, onChange: (held: number) => void = () => {}) {
    this.limit = limit
    this.onChange = onChange
  }

  get held(): number {
    return this.#held
  }

  /** Resolves once there is room for one more record, which then counts as held. */
  async acquire(): Promise<void> {
    if (this.#held < this.limit) {
      this.#held++
      this.onChange(this.#held)
      return
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve))
  }

  release(count = 1): void {
    this.#held -= count
    // Freed room goes to waiters directly, so a newcomer cannot overtake them and exceed the limit.
    while (this.#held < this.limit && this.#waiters.length > 0) {
      this.#held++
      this.#waiters.shift()?.()
    }
    this.onChange(this.#held)
  }

  /** Lets every waiter through even over the limit (shutdown); each must check the worker still runs. */
  releaseWaiters(): void {
    this.#held += this.#waiters.length
    for (const wake of this.#waiters.splice(0)) wake()
    this.onChange(this.#held)
  }
}
