import autocannon from 'autocannon'
import type { BatchGenerator } from '../lib/batches.ts'
import { AnswerTally, eventsRequest } from '../lib/events-request.ts'
import { round } from '../lib/numbers.ts'
import { type ExactSummary, summarise, TimedSamples } from '../lib/samples.ts'

export interface LoadOptions {
  /** Base URL of the server, e.g. http://127.0.0.1:8080. */
  url: string
  writeKey: string
  connections: number
  durationSeconds: number
  generator: BatchGenerator
  /** Seconds before a request counts as timed out. */
  timeoutSeconds?: number
  /**
   * Replay this many pre-rendered bodies instead of rendering a fresh one per request. Only for servers
   * that ignore event_id (the ceiling): it takes the load generator's per-request work out of the way.
   */
  replayPool?: number
}

export interface LoadFigures {
  duration_s: number
  requests_2xx: number
  requests_other: number
  errors: number
  timeouts: number
  status_codes: Record<string, number>
  /** Events the server reported accepted in its 202 bodies (not assumed from the request count). */
  events_accepted: number
  events_duplicate: number
  events_rejected: number
  events_per_s: number
  requests_per_s: number
  /** Latency of 2xx requests, from send to full response, exact (every response is kept). */
  latency_ms: Pick<ExactSummary, 'mean' | 'p50' | 'p90' | 'p99' | 'max'>
  request_body_bytes_avg: number
}

/** Posts generated batches for a fixed time over keep-alive connections, one request in flight each. */
export async function runLoad(options: LoadOptions): Promise<LoadFigures> {
  const latencies = new TimedSamples()
  const tally = new AnswerTally()
  let bodies = 0
  let bodyBytes = 0

  const request = {
    ...eventsRequest(options.writeKey),
    onResponse(status: number, body: string) {
      tally.add(status, body)
    },
  }
  const requests = options.replayPool
    ? Array.from({ length: options.replayPool }, () => {
        const body = options.generator.next()
        bodies++
        bodyBytes += body.length
        return { ...request, body }
      })
    : [
        {
          ...request,
          setupRequest(params: { body?: string | Buffer }) {
            const body = options.generator.next()
            bodies++
            bodyBytes += body.length
            params.body = body
            return params
          },
        },
      ]
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: options.timeoutSeconds ?? 10,
    requests,
  })
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.add(Date.now(), responseTime)
  })
  const result = await instance

  const latency = summarise(latencies.all())
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([k, v]) => [k, v.count]))
  return {
    duration_s: round(result.duration, 3),
    requests_2xx: result['2xx'],
    requests_other: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    status_codes: statusCodes,
    events_accepted: tally.accepted,
    events_duplicate: tally.duplicates,
    events_rejected: tally.rejected,
    events_per_s: Math.round(tally.accepted / result.duration),
    requests_per_s: Math.round(result['2xx'] / result.duration),
    latency_ms: {
      mean: latency.mean,
      p50: latency.p50,
      p90: latency.p90,
      p99: latency.p99,
      max: latency.max,
    },
    request_body_bytes_avg: bodies > 0 ? Math.round(bodyBytes / bodies) : 0,
  }
}
