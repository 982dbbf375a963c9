import type { BatchGenerator } from '../lib/batches.ts'
import { cpuSnapshot, cpuWindow, type Parties, SELF } from '../lib/cpu.ts'
import { log } from '../lib/log.ts'
import { mb, ms, round } from '../lib/numbers.ts'
import { affinityOf } from '../lib/proc.ts'
import { histogramMean, histogramQuantile, metricsDelta, type Sample, scrape } from '../lib/prometheus.ts'
import { waitOthersQuiet } from '../lib/quiet.ts'
import { sampleRss } from '../lib/rss.ts'
import { kafkaPids, redisPids } from '../lib/services.ts'
import type { IngestContext } from './context.ts'
import { type LoadFigures, runLoad } from './load.ts'
import type { Server } from './servers.ts'

/** Measuring one server: a warm-up, then the load, with its CPU, memory and (Framewire) /metrics. */

export interface ServerFigures {
  load: LoadFigures
  warmup: { duration_s: number; events_per_s: number; requests_other: number; errors: number } | null
  rss_mb: {
    /** VmHWM: the process's peak resident set over its whole life (start-up, warm-up and run). */
    peak: number | null
    /** VmRSS just after the measured run. */
    end: number | null
    /** Largest VmRSS sampled every 200 ms during the measured run. */
    max_sampled_during_run: number | null
  }
  /** CPU seconds per wall second (1.0 = one core busy) over the measured window; see cpu.ts. */
  cpu_cores_used: Record<'server' | 'load_generator' | 'kafka' | 'redis' | 'other_processes', number | null>
  /** Server CPU time per accepted event: steadier than events/s when other processes share the cores. */
  server_cpu_us_per_event: number | null
  /** Cores other processes used in the second before the measurement began (see --wait-quiet). */
  other_processes_before_run: number | null
  server_affinity: string | undefined
  server_metrics?: Record<string, unknown>
}

export async function measure(
  ctx: IngestContext,
  server: Server,
  generator: BatchGenerator,
  withMetrics: boolean,
  replayPool?: number,
): Promise<ServerFigures> {
  const { connections, warmupS, durationS, brokers, waitQuietS } = ctx.options
  const load = (durationSeconds: number, pool?: number) =>
    runLoad({
      url: server.url,
      writeKey: ctx.writeKey,
      connections,
      durationSeconds,
      generator,
      replayPool: pool,
    })
  let warmup: ServerFigures['warmup'] = null
  if (warmupS > 0) {
    log(`  warm-up ${warmupS} s`)
    const w = await load(warmupS)
    warmup = {
      duration_s: w.duration_s,
      events_per_s: w.events_per_s,
      requests_other: w.requests_other,
      errors: w.errors,
    }
  }

  const otherBefore = await waitOthersQuiet(
    () => [server.pid, ...kafkaPids(brokers), ...redisPids()],
    waitQuietS,
  )
  const parties = {
    server: [server.pid],
    load_generator: SELF,
    kafka: kafkaPids(brokers),
    redis: redisPids(),
  } satisfies Parties
  const metricsBefore: Sample[] = withMetrics ? await scrape(`${server.url}/metrics`) : []
  const cpuBefore = cpuSnapshot(parties)
  const rss = sampleRss(server.pid, 200)

  log(`  measuring ${durationS} s with ${connections} connections`)
  const figures = await load(durationS, replayPool)

  const { memory, maxSampledBytes } = rss.stop()
  const cpu = cpuWindow(cpuBefore, cpuSnapshot(parties))
  const result: ServerFigures = {
    load: figures,
    warmup,
    rss_mb: {
      peak: mb(memory?.hwmBytes),
      end: mb(memory?.rssBytes),
      max_sampled_during_run: mb(maxSampledBytes),
    },
    cpu_cores_used: cpu.cores,
    server_cpu_us_per_event:
      figures.events_accepted > 0 ? round((cpu.seconds.server * 1e6) / figures.events_accepted, 1) : null,
    other_processes_before_run: otherBefore,
    server_affinity: affinityOf(server.pid),
  }
  if (withMetrics)
    result.server_metrics = serverMetrics(metricsBefore, await scrape(`${server.url}/metrics`), cpu.wall_s)
  return result
}

/** What Framewire's own /metrics say about the measured window: where a request's time goes. */
function serverMetrics(before: Sample[], after: Sample[], seconds: number): Record<string, unknown> {
  const metrics = metricsDelta(before, after)
  const produce = metrics.histogram('framewire_ingest_produce_latency_seconds', { outcome: 'ok' })
  const batch = metrics.histogram('framewire_ingest_produce_batch_records')
  const request = metrics.histogram('framewire_ingest_request_duration_seconds', { route: '/v1/events' })
  const msOf = (s: number | undefined) => ms(s, 2)
  return {
    note: 'deltas over the measured window; quantiles are estimated from histogram buckets',
    request_duration_ms: {
      mean: msOf(histogramMean(request)),
      p50: msOf(histogramQuantile(request, 0.5)),
      p99: msOf(histogramQuantile(request, 0.99)),
    },
    produce_latency_ms: {
      mean: msOf(histogramMean(produce)),
      p50: msOf(histogramQuantile(produce, 0.5)),
      p99: msOf(histogramQuantile(produce, 0.99)),
    },
    produce_requests_per_s: round(produce.count / seconds, 1),
    produce_batch_records: {
      mean: batch.count > 0 ? round(batch.sum / batch.count, 1) : null,
      p50: histogramQuantile(batch, 0.5) ?? null,
      p99: histogramQuantile(batch, 0.99) ?? null,
    },
    produce_errors: metrics.histogram('framewire_ingest_produce_latency_seconds', { outcome: 'error' }).count,
    events_accepted: metrics.counter('framewire_ingest_events_accepted_total'),
    dedupe_hits: metrics.counter('framewire_ingest_dedupe_hits_total'),
    redis_errors: metrics.counter('framewire_ingest_redis_errors_total'),
    unavailable_503: metrics.counter('framewire_ingest_unavailable_total'),
    // prom-client resets this histogram on every scrape, so the second scrape covers the measured window.
    event_loop_lag_p99_ms: msOf(metrics.gaugeEndingWith('nodejs_eventloop_lag_p99_seconds')),
  }
}
