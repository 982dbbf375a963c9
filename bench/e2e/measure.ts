import { setTimeout as sleep } from 'node:timers/promises'
import { cpuSnapshot, cpuWindow, SELF } from '../lib/cpu.ts'
import { mb, ms, round } from '../lib/numbers.ts'
import { acceptQueue } from '../lib/proc.ts'
import {
  counter,
  histogramMean,
  histogramQuantile,
  metricsDelta,
  type Sample,
  scrape,
} from '../lib/prometheus.ts'
import { QUIET_CORES } from '../lib/quiet.ts'
import { sampleRss } from '../lib/rss.ts'
import { kafkaPids, redisPids } from '../lib/services.ts'
import { backlog, offsetCommitRecords } from './bus-groups.ts'
import type { E2eContext } from './context.ts'
import type { ConnectorFigures, WindowFigures } from './figures.ts'
import type { Framewire } from './framewire.ts'
import type { FixedRateLoad } from './load.ts'
import type { ConnectionSetup, Settling } from './settling.ts'
import { SINK_NAMES, type SinkName } from './sink-protocol.ts'
import type { Sinks } from './sinks-control.ts'
import { verdict } from './verdict.ts'

/** Measuring one window: Framewire's /metrics, the sinks' exact latencies, backlogs, CPU, RSS, accept queue. */

export interface Window {
  label: string
  rate: number
  seconds: number
  hanging: SinkName | null
  setup: ConnectionSetup
  settling: Settling
}

async function snapshot(ctx: E2eContext, fw: Framewire, sinks: Sinks, kPids: number[], rPids: number[]) {
  const metrics: Sample[] = await scrape(`${fw.url}/metrics`)
  return {
    at: Date.now(),
    cpu: cpuSnapshot({
      framewire: [fw.pid],
      sinks: [sinks.pid],
      load_generator: SELF,
      kafka: kPids,
      redis: rPids,
    }),
    metrics,
    backlog: await backlog(ctx.admin, fw),
    // Kafka: records appended to __consumer_offsets; embedded: the bus's write transactions.
    commits:
      fw.bus === 'kafka'
        ? await offsetCommitRecords(ctx.admin)
        : counter(metrics, 'framewire_bus_write_seconds_count'),
  }
}

export async function measureWindow(
  ctx: E2eContext,
  fw: Framewire,
  sinks: Sinks,
  load: FixedRateLoad,
  { label, rate, seconds, hanging, setup, settling }: Window,
): Promise<WindowFigures> {
  const kPids = kafkaPids(ctx.options.brokers)
  const rPids = redisPids()
  const before = await snapshot(ctx, fw, sinks, kPids, rPids)
  load.markStart()
  const rss = sampleRss(fw.pid, 2000)
  const acceptStart = acceptQueue(fw.port)
  let acceptMax = acceptStart
  const maxBacklog = { ...before.backlog }
  const deadline = performance.now() + seconds * 1000
  while (performance.now() < deadline) {
    await sleep(Math.min(2000, Math.max(0, deadline - performance.now())))
    const queued = acceptQueue(fw.port)
    if (queued !== null) acceptMax = Math.max(acceptMax ?? 0, queued)
    if (deadline - performance.now() > 500) {
      const b = await backlog(ctx.admin, fw)
      for (const n of SINK_NAMES) maxBacklog[n] = Math.max(maxBacklog[n], b[n])
    }
  }
  const loadWindow = load.markEnd()
  const acceptEnd = acceptQueue(fw.port)
  const after = await snapshot(ctx, fw, sinks, kPids, rPids)
  const { memory, maxSampledBytes } = rss.stop()
  const cpu = cpuWindow(before.cpu, after.cpu)
  const wall = cpu.wall_s
  const sinkWindows = await sinks.window(before.at, after.at, 10_000)
  const metrics = metricsDelta(before.metrics, after.metrics)

  const connectors = {} as Record<SinkName, ConnectorFigures>
  for (const name of SINK_NAMES) {
    const h = metrics.histogram('framewire_delivery_latency_seconds', { connector: name })
    const delivered = metrics.counter('framewire_connector_delivered_total', { connector: name })
    const top = h.buckets.find((b) => b.count === h.count)
    const sendResults: Record<string, number> = {}
    for (const result of ['ok', 'partial', 'failed', 'error']) {
      const n = metrics.histogram('framewire_connector_send_duration_seconds', {
        connector: name,
        result,
      }).count
      if (n > 0) sendResults[result] = n
    }
    const sink = sinkWindows[name]
    connectors[name] = {
      histogram_ms: {
        count: h.count,
        mean: ms(histogramMean(h)),
        p50: ms(histogramQuantile(h, 0.5)),
        p90: ms(histogramQuantile(h, 0.9)),
        p99: ms(histogramQuantile(h, 0.99)),
        max_at_most:
          h.count === 0 || !top ? null : Number.isFinite(top.le) ? ms(top.le) : Number.POSITIVE_INFINITY,
      },
      exact_ms: { ...sink.exact_ms, method: sink.exact_method },
      exact_slices: sink.slices,
      delivered_per_s: Math.round(delivered / wall),
      sink_requests_per_s: round(sink.requests_in_window / wall, 1),
      events_per_request: sink.requests_in_window > 0 ? round(delivered / sink.requests_in_window, 1) : null,
      sink_vs_delivered: sink.exact_method && delivered > 0 ? round(sink.events / delivered) : null,
      backlog: {
        start: before.backlog[name],
        end: after.backlog[name],
        max: Math.max(maxBacklog[name], after.backlog[name]),
        end_s_of_events: round(after.backlog[name] / rate, 2),
      },
      retries: metrics.counter('framewire_connector_retries_total', { connector: name }),
      dead_lettered: metrics.counter('framewire_connector_dead_lettered_total', { connector: name }),
      send_results: sendResults,
      circuit_state_end: metrics.gauge('framewire_connector_circuit_state', { connector: name }) ?? null,
      buffered_records_end:
        metrics.gauge('framewire_connector_buffered_records', { connector: name }) ?? null,
      hung_requests: sink.hung_requests,
    }
  }

  const request = metrics.histogram('framewire_ingest_request_duration_seconds', { route: '/v1/events' })
  const produce = metrics.histogram('framewire_ingest_produce_latency_seconds', { outcome: 'ok' })
  const others = cpu.cores.other_processes
  const figures: WindowFigures = {
    label,
    target_events_per_s: rate,
    hanging,
    load: { ...loadWindow, connections: load.connections, phases: load.phases },
    connection_setup: setup,
    settling,
    accept_queue: {
      start: acceptStart,
      end: acceptEnd,
      max: acceptMax === null || acceptEnd === null ? null : Math.max(acceptMax, acceptEnd),
    },
    connectors,
    ingest: {
      unavailable_503: metrics.counter('framewire_ingest_unavailable_total'),
      request_duration_ms: {
        p50: ms(histogramQuantile(request, 0.5)),
        p99: ms(histogramQuantile(request, 0.99)),
      },
      produce_latency_ms: {
        p50: ms(histogramQuantile(produce, 0.5)),
        p99: ms(histogramQuantile(produce, 0.99)),
      },
    },
    cpu_cores_used: cpu.cores,
    framewire_rss_mb: {
      end: mb(memory?.rssBytes),
      peak: mb(memory?.hwmBytes),
      max_sampled: mb(maxSampledBytes),
    },
    // prom-client resets the event-loop-lag histogram on each scrape: the second scrape covers the window.
    framewire_event_loop_lag_p99_ms: ms(metrics.gaugeEndingWith('eventloop_lag_p99_seconds')),
    disturbed: others !== null && others > QUIET_CORES,
    other_processes_before_run: null,
    bus: fw.bus,
    kafka_offset_commits_per_s:
      fw.bus === 'kafka' ? Math.round((after.commits - before.commits) / wall) : null,
    embedded_bus_writes_per_s:
      fw.bus === 'embedded' ? Math.round((after.commits - before.commits) / wall) : null,
    sustained: { ok: true, reasons: [] },
  }
  figures.sustained = verdict(figures, ctx.options)
  return figures
}
