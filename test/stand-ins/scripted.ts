/**
 * A script of faults a stand-in applies to the requests it receives, in arrival order. Each stand-in
 * owns one `Script`; tests drive it through `standIn.script`.
 *
 *   s.script.failNext(3, 503, { retryAfter: 2 })  // the next 3 requests answer 503 + Retry-After: 2
 *   s.script.failFor(500, 502)                     // every request in the next 500 ms answers 502
 *   s.script.delayNext(1, 200)                     // the next request is answered normally after 200 ms
 *   s.script.hang()                                // from now on, requests are never answered
 *   s.script.resetNext(1)                          // the next request's connection is destroyed
 *   s.script.clear()                               // back to normal behaviour
 */

export interface FailOptions {
  /** Retry-After header: seconds (number) or a raw header value (e.g. an HTTP-date). */
  retryAfter?: number | string
  /** Response body; objects are sent as JSON. Defaults to a vendor-looking error body. */
  body?: unknown
  headers?: Record<string, string>
}

export type Fault =
  | { kind: 'status'; status: number; options: FailOptions }
  | { kind: 'delay'; ms: number }
  | { kind: 'hang' }
  | { kind: 'reset' }

interface CountedStep {
  remaining: number
  fault: Fault
}

interface TimedStep {
  until: number
  fault: Fault
}

export class Script {
  private steps: CountedStep[] = []
  private timed: TimedStep[] = []
  private always: Fault | undefined

  /** The next `n` requests answer `status` (queued after earlier counted steps). */
  failNext(n: number, status: number, options: FailOptions = {}): this {
    return this.push(n, { kind: 'status', status, options })
  }

  /** Every request arriving in the next `durationMs` answers `status`. Takes precedence over counted steps. */
  failFor(durationMs: number, status: number, options: FailOptions = {}): this {
    this.timed.push({ until: Date.now() + durationMs, fault: { kind: 'status', status, options } })
    return this
  }

  /** The next `n` requests are handled normally, but only after `ms`. */
  delayNext(n: number, ms: number): this {
    return this.push(n, { kind: 'delay', ms })
  }

  /** Every request arriving in the next `durationMs` is delayed by `ms`. */
  delayFor(durationMs: number, ms: number): this {
    this.timed.push({ until: Date.now() + durationMs, fault: { kind: 'delay', ms } })
    return this
  }

  /** The next `n` requests are never answered (the connection stays open until the client gives up). */
  hangNext(n: number): this {
    return this.push(n, { kind: 'hang' })
  }

  /** From now on every request hangs, until `clear()`. */
  hang(): this {
    this.always = { kind: 'hang' }
    return this
  }

  /** The next `n` requests get their connection destroyed without a response. */
  resetNext(n: number): this {
    return this.push(n, { kind: 'reset' })
  }

  /** From now on every request answers `status`, until `clear()` (e.g. a webhook that answers 410 for good). */
  failAlways(status: number, options: FailOptions = {}): this {
    this.always = { kind: 'status', status, options }
    return this
  }

  /** Forgets every scripted fault. Requests already hanging stay hung until the stand-in closes. */
  clear(): this {
    this.steps = []
    this.timed = []
    this.always = undefined
    return this
  }

  /** Counted steps not consumed yet. */
  get pending(): number {
    return this.steps.reduce((sum, step) => sum + step.remaining, 0)
  }

  /** Consumes and returns the fault for a request arriving at `now`, if any. */
  take(now: number = Date.now()): Fault | undefined {
    this.timed = this.timed.filter((step) => step.until > now)
    const timed = this.timed[0]
    if (timed) return timed.fault
    const step = this.steps[0]
    if (step) {
      step.remaining -= 1
      if (step.remaining <= 0) this.steps.shift()
      return step.fault
    }
    return this.always
  }

  private push(n: number, fault: Fault): this {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`count must be a positive integer, got ${n}`)
    this.steps.push({ remaining: n, fault })
    return this
  }
}
