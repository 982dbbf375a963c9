/** The part of autocannon's API the benchmarks use (the package ships no types). */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  interface RequestParams {
    method?: string
    path?: string
    headers?: Record<string, string>
    body?: string | Buffer
  }

  interface Request extends RequestParams {
    /** Called before every request; returns the request to send. */
    setupRequest?(request: RequestParams, context: Record<string, unknown>): RequestParams
    /** Called with every response's status and body. */
    onResponse?(status: number, body: string, context: Record<string, unknown>): void
  }

  interface Options {
    url: string
    connections?: number
    /** Seconds. */
    duration?: number
    pipelining?: number
    /** Seconds before a request counts as timed out. */
    timeout?: number
    requests?: Request[]
    headers?: Record<string, string>
    method?: string
    /**
     * Requests per second over all connections. Each connection gets a per-second quota that it sends back
     * to back (a new request as soon as the previous answer arrives), then waits for its next 1 s tick.
     */
    overallRate?: number
    /** Skip autocannon's own coordinated-omission correction of its latency histogram. */
    ignoreCoordinatedOmission?: boolean
  }

  interface Percentiles {
    average: number
    mean: number
    stddev: number
    min: number
    max: number
    total: number
    p50: number
    p90: number
    p99: number
  }

  interface Result {
    duration: number
    start: Date
    finish: Date
    errors: number
    timeouts: number
    non2xx: number
    resets: number
    '2xx': number
    statusCodeStats: Record<string, { count: number }>
    latency: Percentiles
    requests: Percentiles & { sent: number }
    throughput: Percentiles
  }

  interface Instance extends EventEmitter, PromiseLike<Result> {
    stop(): void
    on(
      event: 'response',
      listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void,
    ): this
    on(event: 'reqError', listener: (error: Error) => void): this
    on(event: 'done', listener: (result: Result) => void): this
  }

  function autocannon(options: Options): Instance
  export default autocannon
  export type { Instance, Options, Result }
}
