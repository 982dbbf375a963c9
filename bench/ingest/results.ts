import type { BatchGenerator } from '../lib/batches.ts'
import { ratio } from '../lib/numbers.ts'
import { LOADGEN_CPU, SERVER_CPU } from '../lib/pinning.ts'
import { affinityOf, loadAverage } from '../lib/proc.ts'
import { machineSection } from '../lib/results.ts'
import { traceCost } from '../lib/trace-cost.ts'
import { eventMix } from '../lib/workload.ts'
import type { IngestContext } from './context.ts'
import type { ServerFigures } from './measure.ts'
import { DEFAULT_LINGER_MS, type FramewireFigures } from './servers.ts'

/** The ingest results file (bench/README.md, "What is reported"). */

export const GOAL_RATIO = 0.6

export interface Measured {
  ceiling: ServerFigures
  framewire: FramewireFigures
  embedded: FramewireFigures
  /** The --sweep-* runs. */
  investigation: FramewireFigures[]
  /** With --trace all: the main run again with trace.sampling all. */
  traced?: FramewireFigures | undefined
}

/** A run ÷ the ceiling; cpu_per_event the other way round (ceiling CPU per event ÷ the run's). */
const vsCeiling = (ceiling: ServerFigures) => (f: ServerFigures) => ({
  events_per_s: ratio(f.load.events_per_s, ceiling.load.events_per_s, 3),
  p50_latency: ratio(f.load.latency_ms.p50, ceiling.load.latency_ms.p50),
  p99_latency: ratio(f.load.latency_ms.p99, ceiling.load.latency_ms.p99),
  cpu_per_event: ratio(ceiling.server_cpu_us_per_event, f.server_cpu_us_per_event, 3),
})

const traceFigures = (f: ServerFigures) => ({
  events_per_s: f.load.events_per_s,
  cpu_us_per_event: f.server_cpu_us_per_event,
})

export function ingestResults(
  ctx: IngestContext,
  generator: BatchGenerator,
  { ceiling, framewire, embedded, investigation, traced }: Measured,
) {
  const o = ctx.options
  const ratios = vsCeiling(ceiling)
  const mainRatios = ratios(framewire)
  return {
    benchmark: 'ingest',
    date: new Date().toISOString(),
    goal: {
      description: `Framewire ingest sustains at least ${GOAL_RATIO * 100}% of the ceiling's events/s with acks=all`,
      min_events_per_s_ratio: GOAL_RATIO,
      events_per_s_ratio: mainRatios.events_per_s,
      met: (mainRatios.events_per_s ?? 0) >= GOAL_RATIO,
    },
    machine: machineSection(
      ctx.run.machine,
      { load_average_at_end: loadAverage() },
      {
        used: ctx.run.pinning.used,
        how: ctx.run.pinning.used
          ? `taskset: server on CPU ${SERVER_CPU}, load generator on CPU ${LOADGEN_CPU}; Kafka and Redis unpinned`
          : ctx.run.pinning.reason,
        load_generator_affinity: affinityOf(process.pid),
      },
    ),
    flags: {
      connections: o.connections,
      duration_s: o.durationS,
      warmup_s: o.warmupS,
      linger_ms: o.mainLinger ?? DEFAULT_LINGER_MS,
      sweep_linger: o.sweepLingers,
      sweep_no_redis: o.sweepNoRedis,
      trace: o.trace,
      ceiling_bodies: o.ceilingBodies,
      wait_quiet_s: o.waitQuietS,
      brokers: o.brokers,
      argv: process.argv.slice(2),
    },
    workload: {
      events_per_request: generator.batchSize,
      event_mix: eventMix(generator),
      request_body_bytes_avg: framewire.load.request_body_bytes_avg,
      fresh_ids:
        'every Framewire request carries new event_ids; the ceiling (which ignores event_id) is sent a pool of pre-rendered bodies so the load generator stays out of its way, unless --ceiling-bodies fresh',
      acks: 'all (acks=-1, idempotent producer)',
    },
    ceiling,
    framewire,
    ratios: {
      note: 'framewire / ceiling: events_per_s higher is better (1.0 = as fast as parsing and validating alone); latency ratios lower is better; cpu_per_event = ceiling CPU per event / framewire CPU per event, the events/s ratio both would reach with a whole core each (steadier on a busy machine)',
      ...mainRatios,
    },
    embedded_bus: {
      note: 'the same ingest with the embedded SQLite bus (WAL, synchronous=FULL, group commit) instead of Kafka; events_per_s_vs_kafka > 1 means faster than Kafka in this run',
      figures: embedded,
      events_per_s_vs_kafka: ratio(embedded.load.events_per_s, framewire.load.events_per_s),
      p99_latency_vs_kafka: ratio(embedded.load.latency_ms.p99, framewire.load.latency_ms.p99),
      cpu_per_event_vs_kafka: ratio(framewire.server_cpu_us_per_event, embedded.server_cpu_us_per_event),
      vs_ceiling: ratios(embedded),
    },
    ...(traced ? { trace_cost: traceCost(traceFigures(framewire), traceFigures(traced)) } : {}),
    ...(investigation.length > 0
      ? { investigation: summariseInvestigation(framewire, investigation, ratios) }
      : {}),
  }
}

/** The extra runs, plus what they say: the best linger of those tried and what Redis dedupe costs. */
function summariseInvestigation(
  main: FramewireFigures,
  extra: FramewireFigures[],
  ratios: (f: ServerFigures) => Record<string, number | null>,
) {
  const withRedis = [main, ...extra].filter((f) => f.config.redis_dedupe)
  const byLinger = Object.fromEntries(
    withRedis
      .sort((a, b) => a.config.linger_ms - b.config.linger_ms)
      .map((f) => [
        String(f.config.linger_ms),
        {
          events_per_s: f.load.events_per_s,
          p99_ms: f.load.latency_ms.p99,
          cpu_us_per_event: f.server_cpu_us_per_event,
        },
      ]),
  )
  const best = withRedis.reduce((a, b) => (b.load.events_per_s > a.load.events_per_s ? b : a))
  const noRedis = extra.find((f) => !f.config.redis_dedupe)
  return {
    linger_ms: {
      runs: byLinger,
      best_by_events_per_s: withRedis.length > 1 ? best.config.linger_ms : null,
    },
    redis_dedupe: noRedis
      ? {
          events_per_s_with: main.load.events_per_s,
          events_per_s_without: noRedis.load.events_per_s,
          cpu_us_per_event_with: main.server_cpu_us_per_event,
          cpu_us_per_event_without: noRedis.server_cpu_us_per_event,
        }
      : null,
    runs: extra.map((f) => ({
      config: f.config,
      events_per_s: f.load.events_per_s,
      latency_ms: f.load.latency_ms,
      ratios: ratios(f),
      rss_mb: f.rss_mb,
      cpu_cores_used: f.cpu_cores_used,
      server_cpu_us_per_event: f.server_cpu_us_per_event,
      server_metrics: f.server_metrics,
      non_2xx: f.load.requests_other,
      errors: f.load.errors,
    })),
  }
}
