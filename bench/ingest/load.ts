import autocannon from 'autocannon'
import type { BatchGenerator } from './batches.ts'

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
  latency_ms: { mean: number; p50: number; p90: number; p99: number; max: number }
  request_body_bytes_avg: number
}

/** Exact quantile of sorted values (nearest rank). */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank] as number
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits

/** Posts generated batches for a fixed time over keep-alive connections, one request in flight each. */
export async function runLoad(options: LoadOptions): Promise<LoadFigures> {
  let latencies = new Float64Array(1 << 16)
  let latencyCount = 0
  let accepted = 0
  let duplicate = 0
  let rejected = 0
  let bodies = 0
  let bodyBytes = 0

  const request = {
    method: 'POST',
    path: '/v1/events',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${options.writeKey}` },
    onResponse(status: number, body: string) {
      if (status !== 202) return
      const answer = JSON.parse(body) as { accepted: number; duplicates: number; rejected: unknown[] }
      accepted += answer.accepted
      duplicate += answer.duplicates
      rejected += answer.rejected.length
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
    if (statusCode < 200 || statusCode >= 300) return
    if (latencyCount === latencies.length) {
      const grown = new Float64Array(latencies.length * 2)
      grown.set(latencies)
      latencies = grown
    }
    latencies[latencyCount++] = responseTime
  })
  const result = await instance

  const sorted = latencies.subarray(0, latencyCount).sort()
  let sum = 0
  for (const v of sorted) sum += v
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([k, v]) => [k, v.count]))
  return {
    duration_s: round(result.duration, 3),
    requests_2xx: result['2xx'],
    requests_other: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    status_codes: statusCodes,
    events_accepted: accepted,
    events_duplicate: duplicate,
    events_rejected: rejected,
    events_per_s: Math.round(accepted / result.duration),
    requests_per_s: Math.round(result['2xx'] / result.duration),
    latency_ms: {
      mean: round(latencyCount > 0 ? sum / latencyCount : Number.NaN),
      p50: round(quantile(sorted, 0.5)),
      p90: round(quantile(sorted, 0.9)),
      p99: round(quantile(sorted, 0.99)),
      max: round(quantile(sorted, 1)),
    },
    request_body_bytes_avg: bodies > 0 ? Math.round(bodyBytes / bodies) : 0,
  }
}
