/**
 * Holds items until their next attempt is due and hands them back together, so items that failed in the
 * same send (same due time) are batched together again. One timer for the earliest item.
 */
export class RetryQueue<T> {
  /** Sorted by due time, earliest first. */
  #entries: { at: number; item: T }[] = []
  #timer: NodeJS.Timeout | undefined
  #stopped = false

  private readonly onDue: (items: T[]) => void
  constructor(onDue: (items: T[]) => void) {
    this.onDue = onDue
  }

  schedule(item: T, at: number): void {
    let low = 0
    let high = this.#entries.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if ((this.#entries[mid] as { at: number }).at <= at) low = mid + 1
      else high = mid
    }
    this.#entries.splice(low, 0, { at, item })
    if (low === 0) this.#arm()
  }

  /** Removes and returns the items matching `predicate` (e.g. of revoked partitions). */
  discard(predicate: (item: T) => boolean): T[] {
    const removed: T[] = []
    this.#entries = this.#entries.filter((entry) => !(predicate(entry.item) && removed.push(entry.item)))
    this.#arm()
    return removed
  }

  /** Nothing is handed back any more; what is still waiting stays unsent. */
  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
  }

  #arm(): void {
    clearTimeout(this.#timer)
    const first = this.#entries[0]
    if (first && !this.#stopped)
      this.#timer = setTimeout(() => this.#release(), Math.max(0, first.at - Date.now()))
  }

  #release(): void {
    const now = Date.now()
    // Timers may fire a millisecond early; Retry-After must still be honoured, so compare with the clock.
    let due = 0
    while (due < this.#entries.length && (this.#entries[due] as { at: number }).at <= now) due++
    const items = this.#entries.splice(0, due).map((entry) => entry.item)
    this.#arm()
    if (items.length > 0) this.onDue(items)
  }
}
