import autocannon, { type Instance } from 'autocannon'
import type { BatchGenerator } from '../lib/batches.ts'
import { AnswerTally, eventsRequest } from '../lib/events-request.ts'
import { round } from '../lib/numbers.ts'
import { type ExactSummary, type SliceSummary, summarise, TimedSamples } from '../lib/samples.ts'

/**
 * Fixed-rate load for the end-to-end benchmark: POST /v1/events at a target number of events/s, with
 * autocannon's `overallRate` (requests/s = events/s ÷ events per request).
 *
 * autocannon enforces a rate as a per-connection quota per second: at each 1 s tick of a connection it sends
 * its quota back to back, then waits for the next tick. All connections of one autocannon instance are
 * created together, so their ticks coincide and the whole second's requests would leave in one burst. To
 * offer a steady stream instead, the rate is split over `phases` instances started 1000/phases ms apart:
 * every 1000/phases ms one instance sends its share, perConnectionRate requests per connection.
 *
 * Coordinated omission: a connection sends its next request only after the previous answer, so an answer
 * slower than 1000/perConnectionRate ms makes that connection fall behind, and the offered rate drops
 * instead of the latency being recorded. The benchmark therefore (1) reports delivery latency from the
 * ingest's received_at (server side), (2) counts requests actually sent and events actually accepted in the
 * window and (3) does not call a rate sustained unless they reach the target (verdict.ts). autocannon's own
 * latency histogram is not used (its correction assumes an interval of ceil(1/rate) ms, i.e. 1 ms, which
 * would add phantom samples); every response time is kept here instead.
 *
 * New connections are expensive for a busy ingest (Node accepts one per event-loop iteration), so a run
 * waits until every connection has been answered once (answeredConnections) before it measures, and the
 * staircase adds connections for each increment (increase) instead of opening a new set per step.
 */

export interface FixedRateOptions {
  /** Base URL of the ingest, e.g. http://127.0.0.1:8080. */
  url: string
  writeKey: string
  eventsPerSecond: number
  generator: BatchGenerator
  /** autocannon instances started 1000/phases ms apart (default 50: a share every 20 ms). */
  phases: number
  /** Requests per connection per second: each connection has 1000/perConnectionRate ms per answer. */
  perConnectionRate: number
  /**
   * Seconds before a request counts as timed out (autocannon then reconnects). Long by default: a reconnect
   * has to wait in the ingest's accept queue again.
   */
  timeoutSeconds?: number
}

export interface LoadWindow {
  duration_s: number
  target_events_per_s: number
  target_requests_per_s: number
  /** Requests handed to the connections in the window (sent), per second. */
  sent_requests_per_s: number
  /** Events the ingest reported `accepted` in its 202 bodies, per second. */
  accepted_events_per_s: number
  /** accepted_events_per_s ÷ target. Below 1: 503s, errors, or sends held back by slow answers. */
  achieved_ratio: number
  /** Lowest and highest accepted events in any whole second of the window. */
  accepted_per_second_min: number
  accepted_per_second_max: number
  status_codes: Record<string, number>
  non_2xx: number
  errors: number
  /** Request errors by code (e.g. ECONNRESET); autocannon's timeouts are counted at stop. */
  error_codes: Record<string, number>
  duplicates: number
  rejected: number
  /** Connections that had at least one answer in the window, of all open. */
  connections_answered: number
  /** Ingest answer time of 202s (send to full answer), ms, exact. */
  ingest_latency_ms: ExactSummary
  /** The same per slice of the window (by answer time), to tell a steady tail from a stall. */
  ingest_latency_slices: SliceSummary[]
}

export interface FixedRateLoad {
  /** Connections opened so far (over all increases). */
  readonly connections: number
  readonly phases: number
  readonly requestsPerSecond: number
  readonly eventsPerSecond: number
  /** Connections that have had at least one answer since they were opened. */
  answeredConnections(): number
  /**
   * Adds `eventsPerSecond` to the offered rate with new phases (new connections); the existing connections
   * keep their rate. A staircase this way opens only the increment's connections at each step.
   */
  increase(eventsPerSecond: number): void
  /** Starts a measured window now. */
  markStart(): void
  /** Ends the window and returns its figures (the load keeps running until stop). */
  markEnd(sliceMs?: number): LoadWindow
  /** Stops every instance; resolves with the timeouts autocannon counted over the whole run. */
  stop(): Promise<{ timeouts: number }>
}

const share = (total: number, parts: number, i: number) =>
  Math.floor(total / parts) + (i < total % parts ? 1 : 0)

export function startFixedRate(options: FixedRateOptions): FixedRateLoad {
  let requestsPerSecond = 0
  let eventsPerSecond = 0
  let phases = 0

  let measuring = false
  let windowStart = 0
  let sent = 0
  let tally = new AnswerTally()
  let errors = 0
  let errorCodes: Record<string, number> = {}
  let perSecond: number[] = []
  let statusCodes: Record<string, number> = {}
  const latencies = new TimedSamples()
  const answered = new Set<unknown>()
  let answeredInWindow = new Set<unknown>()

  const request = {
    ...eventsRequest(options.writeKey),
    setupRequest(params: { body?: string | Buffer }) {
      params.body = options.generator.next()
      if (measuring) sent++
      return params
    },
    onResponse(status: number, body: string) {
      if (!measuring) return
      statusCodes[status] = (statusCodes[status] ?? 0) + 1
      const accepted = tally.add(status, body)
      const second = Math.floor((Date.now() - windowStart) / 1000)
      perSecond[second] = (perSecond[second] ?? 0) + accepted
    },
  }

  const instances: Instance[] = []
  const timers: NodeJS.Timeout[] = []
  let connections = 0

  /** Starts `rate` requests/s as up to options.phases instances, 1000/phases ms apart. */
  const add = (rate: number) => {
    const count = Math.min(options.phases, rate)
    phases += count
    for (let i = 0; i < count; i++) {
      const phaseRate = share(rate, count, i)
      const phaseConnections = Math.ceil(phaseRate / options.perConnectionRate)
      connections += phaseConnections
      timers.push(
        setTimeout(
          () => {
            const instance = autocannon({
              url: options.url,
              connections: phaseConnections,
              overallRate: phaseRate,
              ignoreCoordinatedOmission: true,
              // Stopped by stop(); the duration is only a safety net.
              duration: 3600,
              timeout: options.timeoutSeconds ?? 30,
              requests: [request],
            })
            instance.on('response', (client, statusCode, _bytes, responseTime) => {
              answered.add(client)
              if (!measuring) return
              answeredInWindow.add(client)
              if (statusCode >= 200 && statusCode < 300) latencies.add(Date.now(), responseTime)
            })
            instance.on('reqError', (error: Error & { code?: string }) => {
              if (!measuring) return
              errors++
              const code = error.code ?? error.name
              errorCodes[code] = (errorCodes[code] ?? 0) + 1
            })
            instances.push(instance)
          },
          Math.round((i * 1000) / count),
        ),
      )
    }
  }

  const increase = (events: number) => {
    const rate = Math.max(1, Math.round(events / options.generator.batchSize))
    requestsPerSecond += rate
    eventsPerSecond += events
    add(rate)
  }
  increase(options.eventsPerSecond)

  return {
    get connections() {
      return connections
    },
    get phases() {
      return phases
    },
    get requestsPerSecond() {
      return requestsPerSecond
    },
    get eventsPerSecond() {
      return eventsPerSecond
    },
    answeredConnections: () => answered.size,
    increase,
    markStart() {
      measuring = true
      windowStart = Date.now()
      sent = errors = 0
      tally = new AnswerTally()
      errorCodes = {}
      perSecond = []
      statusCodes = {}
      answeredInWindow = new Set()
      latencies.clear()
    },
    markEnd(sliceMs = 10_000) {
      measuring = false
      const end = Date.now()
      const seconds = (end - windowStart) / 1000
      const { accepted, duplicates, rejected } = tally
      const whole = Array.from({ length: Math.floor(seconds) }, (_, i) => perSecond[i] ?? 0)
      const non2xx = Object.entries(statusCodes)
        .filter(([code]) => !code.startsWith('2'))
        .reduce((sum, [, n]) => sum + n, 0)
      return {
        duration_s: round(seconds, 3),
        target_events_per_s: eventsPerSecond,
        target_requests_per_s: requestsPerSecond,
        sent_requests_per_s: round(sent / seconds, 1),
        accepted_events_per_s: Math.round(accepted / seconds),
        achieved_ratio: round(accepted / seconds / eventsPerSecond, 3),
        accepted_per_second_min: whole.length > 0 ? Math.min(...whole) : 0,
        accepted_per_second_max: whole.length > 0 ? Math.max(...whole) : 0,
        status_codes: statusCodes,
        non_2xx: non2xx,
        errors,
        error_codes: errorCodes,
        duplicates,
        rejected,
        connections_answered: answeredInWindow.size,
        ingest_latency_ms: summarise(latencies.between(windowStart, end + 1)),
        ingest_latency_slices: latencies.window(windowStart, end + 1, sliceMs).slices,
      }
    },
    async stop() {
      for (const timer of timers) clearTimeout(timer)
      for (const instance of instances) instance.stop()
      const results = await Promise.all(instances)
      return { timeouts: results.reduce((sum, r) => sum + r.timeouts, 0) }
    },
  }
}
