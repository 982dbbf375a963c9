import type { PlayerEvent } from '../event.ts'

/**
 * A player's event queue, sent the way the browser SDK sends it: in batches every `flushMs`, at once for
 * the events a dashboard wants without delay, one request in flight, and a failed request's events kept
 * for the next one (same event_ids, so the ingest's dedupe drops any that did land).
 */

/** Sent without waiting for the next flush (as mux-embed does for viewstart, error, ended and viewend). */
const URGENT = new Set(['view_start', 'error', 'ended', 'view_end'])
/** The ingest's default `max_events`. */
const MAX_BATCH = 500

/** Posts one batch; false when it should be sent again later (network error, 5xx). */
export type SendBatch = (events: PlayerEvent[]) => Promise<boolean>

export class PlayerSdk {
  #queue: PlayerEvent[] = []
  #sending: Promise<void> = Promise.resolve()
  readonly #timer: NodeJS.Timeout

  private readonly send: SendBatch
  constructor(send: SendBatch, flushMs: number) {
    this.send = send
    this.#timer = setInterval(() => void this.flush(), flushMs)
  }

  track(event: PlayerEvent) {
    this.#queue.push(event)
    if (URGENT.has(event.type)) void this.flush()
  }

  /** Sends what is queued, after the request in flight. */
  flush(): Promise<void> {
    this.#sending = this.#sending.then(async () => {
      const batch = this.#queue.splice(0, MAX_BATCH)
      if (batch.length > 0 && !(await this.send(batch))) this.#queue.unshift(...batch)
    })
    return this.#sending
  }

  /** Stops the timer and sends what is left once (the page is closing). */
  async close(): Promise<void> {
    clearInterval(this.#timer)
    await this.flush()
  }
}
