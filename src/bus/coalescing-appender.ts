import type { Bus, OutgoingRecord } from './bus.ts'

export interface CoalescingOptions {
  /** Longest time a record waits for others to share its produce request. */
  lingerMs: number
  /** A batch this large is sent at once. */
  maxRecords: number
  /** Called with the size of every batch sent, for metrics. */
  onFlush?(records: number, seconds: number, ok: boolean): void
}

interface Waiter {
  records: OutgoingRecord[]
  resolve(): void
  reject(err: unknown): void
}

/**
 * Groups the records of concurrent callers into shared appends (a linger, which kafkajs lacks), and keeps
 * one append in flight at a time. Each caller waits only for the append that carries its own records, and
 * learns of its failure.
 */
export class CoalescingAppender {
  private pending: Waiter[] = []
  private pendingCount = 0
  private timer: NodeJS.Timeout | undefined
  private readonly inFlight = new Set<Promise<void>>()

  private readonly bus: Bus
  private readonly options: CoalescingOptions
  constructor(bus: Bus, options: CoalescingOptions) {
    this.bus = bus
    this.options = options
  }

  append(records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ records, resolve, reject })
      this.pendingCount += records.length
      if (this.pendingCount >= this.options.maxRecords) this.flush()
      // While an append is in flight, records gather until it settles: the idempotent producer sends one
      // request at a time anyway, and fewer, larger appends cost less CPU per record.
      else if (this.inFlight.size === 0) this.timer ??= setTimeout(() => this.flush(), this.options.lingerMs)
    })
  }

  /** Resolves once every append started so far has settled. */
  async drain(): Promise<void> {
    this.flush()
    await Promise.allSettled([...this.inFlight])
  }

  private flush() {
    clearTimeout(this.timer)
    this.timer = undefined
    const waiters = this.pending
    if (waiters.length === 0) return
    this.pending = []
    this.pendingCount = 0
    const records = waiters.flatMap((w) => w.records)
    const started = performance.now()
    const sent = this.bus.append(records).then(
      () => {
        this.options.onFlush?.(records.length, (performance.now() - started) / 1000, true)
        for (const w of waiters) w.resolve()
      },
      (err: unknown) => {
        this.options.onFlush?.(records.length, (performance.now() - started) / 1000, false)
        for (const w of waiters) w.reject(err)
      },
    )
    this.inFlight.add(sent)
    void sent.finally(() => {
      this.inFlight.delete(sent)
      // What gathered meanwhile has waited at least as long as a linger already.
      if (this.inFlight.size === 0) this.flush()
    })
  }
}
