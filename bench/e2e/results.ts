import { configSchema } from '../../src/config/schema.ts'
import type { BatchGenerator } from '../lib/batches.ts'
import { LOADGEN_CPU, SERVER_CPU } from '../lib/pinning.ts'
import { affinityOf, loadAverage } from '../lib/proc.ts'
import type { QuietMachine } from '../lib/quiet.ts'
import { machineSection } from '../lib/results.ts'
import { eventMix } from '../lib/workload.ts'
import { goal, type Runs, ratios } from './comparisons.ts'
import { BATCH_SIZE, type E2eContext } from './context.ts'
import type { WindowFigures } from './figures.ts'
import { type AmplitudeRebuild, SINK_NAMES } from './sink-protocol.ts'
import type { Staircase } from './staircase.ts'

/** The end-to-end results file (bench/README.md, "What is reported"). */

const connectorDefaults = configSchema.properties.connectors.items.properties
const batchingDefaults = connectorDefaults.batching.properties
const retryDefaults = connectorDefaults.retry.properties
const breakerDefaults = connectorDefaults.circuit_breaker.properties

export interface Invocation {
  waited: QuietMachine
  startedAt: number
  sinksAffinity: string | undefined
  generator: BatchGenerator
  rebuild: AmplitudeRebuild | null
}

function perConnectorTable(f: WindowFigures) {
  return Object.fromEntries(
    SINK_NAMES.map((n) => {
      const c = f.connectors[n]
      return [
        n,
        {
          exact: { p50: c.exact_ms.p50, p99: c.exact_ms.p99, max: c.exact_ms.max, count: c.exact_ms.count },
          histogram: {
            p50: c.histogram_ms.p50,
            p99: c.histogram_ms.p99,
            max_at_most: c.histogram_ms.max_at_most,
            count: c.histogram_ms.count,
          },
        },
      ]
    }),
  )
}

const latencyTable = (runs: Map<number, WindowFigures>, key: (rate: number) => string) =>
  Object.fromEntries(
    [...runs].map(([rate, f]) => [
      key(rate),
      { sustained: f.sustained.ok, disturbed: f.disturbed, ...perConnectorTable(f) },
    ]),
  )

export function e2eResults(ctx: E2eContext, inv: Invocation, runs: Runs, stairs: Staircase) {
  const o = ctx.options
  const { pinning } = ctx.run
  return {
    benchmark: 'e2e',
    date: new Date().toISOString(),
    quick: o.quick,
    goal: goal(runs.healthy),
    summary: {
      latency_ms: latencyTable(runs.healthy, (rate) => `healthy_${rate}`),
      hanging_latency_ms: latencyTable(runs.hanging, (rate) => `${o.hang}_hanging_${rate}`),
      embedded_bus_latency_ms: latencyTable(runs.embedded, (rate) => `embedded_${rate}`),
      highest_sustained_events_per_s: stairs.highest_sustained_events_per_s,
      highest_is_lower_bound: stairs.highest_is_lower_bound,
      first_not_sustained: stairs.first_not_sustained,
    },
    ratios: ratios(runs, o.rates, o.hang),
    machine: machineSection(
      ctx.run.machine,
      {
        load_average_when_runs_began: inv.waited.load_average_at_begin,
        waited_for_quiet_s: inv.waited.waited_s,
        quiet_when_runs_began: inv.waited.quiet,
        load_average_at_end: loadAverage(),
        total_run_s: Math.round((Date.now() - inv.startedAt) / 1000),
      },
      {
        used: pinning.used,
        how: pinning.used
          ? `taskset: Framewire (--role all, one process) on CPU ${SERVER_CPU}; load generator and sinks on CPU ${LOADGEN_CPU}; Kafka and Redis unpinned`
          : pinning.reason,
        load_generator_affinity: affinityOf(process.pid),
        sinks_affinity: inv.sinksAffinity,
      },
    ),
    flags: {
      quick: o.quick,
      rates: o.rates,
      duration_s: o.durationS,
      warmup_s: o.warmupS,
      steps: o.steps,
      step_duration_s: o.stepDurationS,
      step_settle_s: o.stepSettleS,
      all_steps: o.allSteps,
      hang: o.hang,
      hang_rates: o.hangRates,
      embedded_rates: o.embeddedRates,
      trace: o.trace,
      phases: o.phases,
      per_connection_rate: o.perConnectionRate,
      connect_wait_s: o.connectWaitS,
      settle_max_s: o.settleMaxS,
      settle_backlog_s: o.settleBacklogS,
      max_p99_ms: o.maxP99Ms,
      max_backlog_s: o.maxBacklogS,
      wait_load: o.waitLoad,
      wait_max_s: o.waitMaxS,
      wait_quiet_s: o.waitQuietS,
      brokers: o.brokers,
      argv: process.argv.slice(2),
    },
    method: method(ctx),
    workload: {
      events_per_request: BATCH_SIZE,
      event_mix: eventMix(inv.generator),
      generator: 'bench/lib/batches.ts: fresh event_ids, 256 simulated players',
      amplitude_rebuild: inv.rebuild,
    },
    runs: Object.fromEntries(
      [
        ...runs.healthy.values(),
        ...runs.hanging.values(),
        ...runs.embedded.values(),
        ...runs.traced.values(),
      ].map((f) => [f.label, f]),
    ),
    staircase: stairs,
  }
}

/** The choices of bench/README.md, in words, with this invocation's settings. */
function method({ options: o }: E2eContext) {
  return {
    framewire:
      'node bin/framewire.js start --role all: ingest and the three connector workers in one process (one event loop), ' +
      'a new events topic and kafka.group_prefix per run, Redis dedupe on, every other setting at its default; ' +
      'the embedded runs use bus.type embedded (a new SQLite file per run) instead of Kafka, all else equal',
    connectors: {
      names_and_types: SINK_NAMES,
      batching: {
        linger_ms: batchingDefaults.linger_ms.default,
        max_in_flight: batchingDefaults.max_in_flight.default,
      },
      retry: { request_timeout_ms: retryDefaults.request_timeout_ms.default },
      circuit_breaker: {
        failure_threshold: breakerDefaults.failure_threshold.default,
        open_ms: breakerDefaults.open_ms.default,
      },
    },
    load:
      `autocannon overallRate, requests/s = events/s ÷ ${BATCH_SIZE}, split over ${o.phases} instances started ` +
      `1000/${o.phases} ms apart (autocannon sends each connection's per-second quota at one tick, so one instance ` +
      `would send the whole second in one burst), ${o.perConnectionRate} request(s) per connection per second ` +
      `(so each connection has ${Math.round(1000 / o.perConnectionRate)} ms per answer before it falls behind); ` +
      `measurement starts only after every connection has been answered once (connection_setup), a warm-up, ` +
      `and steady state: every connector at most ${o.settleBacklogS} s of events behind (settling)`,
    coordinated_omission:
      'a connection sends only after its previous answer, so a slow ingest lowers the offered rate instead of ' +
      'showing up as latency; the sent and accepted rates in the window are therefore reported, and a rate is not ' +
      'called sustained below 98% of its target. Delivery latency starts at the ingest (received_at), so it is not ' +
      'affected; the ingest answer time (load.ingest_latency_ms) is, and is reported for information only',
    latency_exact:
      'at the sinks, per event: arrival wall time (body fully read, before answering) minus received_at, for ' +
      'events arriving between the two scrapes that bracket the window. webhook: received_at in the body; datadog: ' +
      'the received_at attribute of each log; amplitude: rebuilt from time (ts_corrected), see workload',
    latency_histogram:
      'framewire_delivery_latency_seconds per connector (received_at to the 2xx as the worker sees it): the ' +
      'difference of two /metrics scrapes bracketing the window, quantiles interpolated linearly within buckets ' +
      '(as histogram_quantile); max_at_most is the bound of the highest bucket with deliveries',
    sustained: [
      'accepted events/s ≥ 98% of the target',
      'no non-2xx answers (503) and no request errors',
      'every connector delivered ≥ 98% of the accepted events/s',
      `every connector's Kafka backlog (log end − committed) at the end ≤ ${o.maxBacklogS} s of events`,
      `every connector's p99 (histogram) ≤ ${o.maxP99Ms} ms`,
    ],
    hanging: `the ${o.hang} sink reads each request and never answers; the other connectors' p99 is compared with the healthy run at the same rate`,
  }
}
