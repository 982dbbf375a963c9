import type { BatchingConfig } from '../config/types.ts'
import type { BatchLimits } from './connector.ts'

/** The vendor's limits, narrowed by the config's caps. */
export function effectiveLimits(vendor: BatchLimits, batching: BatchingConfig): BatchLimits {
  return {
    maxItems: Math.min(vendor.maxItems, batching.max_items ?? Number.POSITIVE_INFINITY),
    maxBytes: Math.min(vendor.maxBytes, batching.max_bytes ?? Number.POSITIVE_INFINITY),
  }
}

export interface BatcherOptions<T> {
  limits: BatchLimits
  /** How long the first item of a batch may wait for company. */
  lingerMs: number
  /** Batches being sent at the same time. */
  maxInFlight: number
  sizeOf(item: T): number
  /** Sends one batch; must not reject. */
  send(batch: T[]): Promise<void>
  /** Asked right before each send (the circuit breaker); call `pump()` when it would say yes again. */
  mayStart(): boolean
}

/**
 * Groups items into batches closed by count, bytes or linger time, and starts at most `maxInFlight`
 * sends; closed batches queue until a slot frees. An item larger than `maxBytes` travels alone.
 */
export class Batcher<T> {
  #open: T[] = []
  #openBytes = 0
  #linger: NodeJS.Timeout | undefined
  #closed: T[][] = []
  #inFlight = 0
  #idleWaiters: (() => void)[] = []

  private readonly options: BatcherOptions<T>
  constructor(options: BatcherOptions<T>) {
    this.options = options
  }

  add(item: T): void {
    const bytes = this.options.sizeOf(item)
    const { maxItems, maxBytes } = this.options.limits
    if (this.#open.length > 0 && this.#openBytes + bytes > maxBytes) this.#close()
    this.#open.push(item)
    this.#openBytes += bytes
    if (this.#open.length >= maxItems || this.#openBytes >= maxBytes) this.#close()
    else if (this.#open.length === 1) this.#linger = setTimeout(() => this.flush(), this.options.lingerMs)
    this.pump()
  }

  /** Closes the open batch now instead of waiting for the linger time. */
  flush(): void {
    if (this.#open.length > 0) this.#close()
    this.pump()
  }

  /** Starts as many closed batches as slots and the gate allow. */
  pump(): void {
    while (this.#inFlight < this.options.maxInFlight && this.#closed.length > 0 && this.options.mayStart()) {
      const batch = this.#closed.shift() as T[]
      this.#inFlight++
      void this.options.send(batch).finally(() => {
        this.#inFlight--
        this.pump()
        this.#wakeIfIdle()
      })
    }
  }

  /** Resolves once nothing is waiting or being sent. */
  idle(): Promise<void> {
    return this.#isIdle() ? Promise.resolve() : new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  /** Removes and returns the items not yet sent that match `predicate` (e.g. of revoked partitions). */
  discard(predicate: (item: T) => boolean): T[] {
    const removed: T[] = []
    const keep = (item: T) => !(predicate(item) && removed.push(item))
    this.#closed = this.#closed.map((batch) => batch.filter(keep)).filter((batch) => batch.length > 0)
    this.#open = this.#open.filter(keep)
    this.#openBytes = this.#open.reduce((sum, item) => sum + this.options.sizeOf(item), 0)
    if (this.#open.length === 0) clearTimeout(this.#linger)
    this.#wakeIfIdle()
    return removed
  }

  /** Stops the linger timer; whatever was not sent stays unsent. */
  stop(): void {
    clearTimeout(this.#linger)
  }

  #close(): void {
    clearTimeout(this.#linger)
    this.#closed.push(this.#open)
    this.#open = []
    this.#openBytes = 0
  }

  #isIdle(): boolean {
    return this.#inFlight === 0 && this.#closed.length === 0 && this.#open.length === 0
  }

  #wakeIfIdle(): void {
    if (this.#isIdle()) for (const wake of this.#idleWaiters.splice(0)) wake()
  }
}
