/**
 * Ingest benchmark: the same realistic load against a ceiling server (bare Fastify + the ingest's JSON
 * parse and schema validation, nothing else) and then against the real Framewire ingest (Redis dedupe,
 * Kafka produce with acks=all), reporting Framewire as a share of the ceiling. See bench/README.md.
 *
 *   npm run bench:ingest -- --connections 50 --duration 20
 */
import { createBatchGenerator } from '../lib/batches.ts'
import { stopAllChildren } from '../lib/children.ts'
import { deleteRunTopics, lazyAdmin } from '../lib/kafka-admin.ts'
import { log } from '../lib/log.ts'
import { LOADGEN_CPU, SERVER_CPU } from '../lib/pinning.ts'
import { writeResults } from '../lib/results.ts'
import { newRun, runBench } from '../lib/run-bench.ts'
import { traceCostLine } from '../lib/trace-cost.ts'
import { checkBatches } from '../lib/workload.ts'
import type { IngestContext } from './context.ts'
import type { ServerFigures } from './measure.ts'
import { parseOptions } from './options.ts'
import { GOAL_RATIO, ingestResults } from './results.ts'
import { type FramewireFigures, runCeiling, runFramewire } from './servers.ts'

const options = parseOptions()
const run = newRun('ingest', options)
const ctx: IngestContext = {
  options,
  run,
  marker: `bench-${run.id}-`,
  writeKey: `bench-${run.id}-write-key`,
}

function summary(name: string, f: ServerFigures) {
  const l = f.load
  log(
    `  ${name}: ${l.events_per_s} events/s (${l.requests_per_s} req/s), p50 ${l.latency_ms.p50} ms, ` +
      `p99 ${l.latency_ms.p99} ms, RSS peak ${f.rss_mb.peak} MB / end ${f.rss_mb.end} MB, ` +
      `server CPU ${f.cpu_cores_used.server} (${f.server_cpu_us_per_event} µs/event), ` +
      `others ${f.cpu_cores_used.other_processes}, non-2xx ${l.requests_other}, errors ${l.errors}`,
  )
}

async function main() {
  const generator = createBatchGenerator({ batchSize: 10 })
  checkBatches(generator, 1024)
  const { pinning } = run
  log(
    `pinning: ${pinning.used ? `server on CPU ${SERVER_CPU}, load generator on CPU ${LOADGEN_CPU}` : `off (${pinning.reason})`}`,
  )
  const { mainLinger } = options

  const ceiling = await runCeiling(ctx, generator)
  summary('ceiling', ceiling)
  const framewire = await runFramewire(
    ctx,
    {
      label: mainLinger === undefined ? 'main' : `linger${mainLinger}`,
      lingerMs: mainLinger,
      redis: true,
      bus: 'kafka',
    },
    generator,
  )
  summary('framewire', framewire)
  // The same ingest on the embedded SQLite bus: only the bus differs (Redis dedupe in both).
  const embedded = await runFramewire(
    ctx,
    { label: 'embedded', lingerMs: mainLinger, redis: true, bus: 'embedded' },
    generator,
  )
  summary('framewire on the embedded bus', embedded)
  // Right after the main run, with only trace.sampling changed: the two are compared as a ratio.
  const traced =
    options.trace === 'all'
      ? await runFramewire(
          ctx,
          { label: 'traced', lingerMs: mainLinger, redis: true, bus: 'kafka', trace: 'all' },
          generator,
        )
      : undefined
  if (traced) summary('framewire tracing all events', traced)

  const investigation: FramewireFigures[] = []
  for (const linger of options.sweepLingers) {
    const f = await runFramewire(
      ctx,
      { label: `linger${linger}`, lingerMs: linger, redis: true, bus: 'kafka' },
      generator,
    )
    summary(`framewire linger_ms=${linger}`, f)
    investigation.push(f)
  }
  if (options.sweepNoRedis) {
    const f = await runFramewire(
      ctx,
      { label: 'noredis', lingerMs: mainLinger, redis: false, bus: 'kafka' },
      generator,
    )
    summary('framewire without Redis dedupe', f)
    investigation.push(f)
  }
  if (!options.keepTopics) {
    const admin = lazyAdmin(options.brokers, 'framewire-bench')
    await deleteRunTopics(admin, ctx.marker)
    await admin.disconnect()
  }

  const results = ingestResults(ctx, generator, { ceiling, framewire, embedded, investigation, traced })
  log(
    `\nframewire / ceiling: events/s ${results.ratios.events_per_s}, p99 ${results.ratios.p99_latency}x; ` +
      `goal (>= ${GOAL_RATIO}) ${results.goal.met ? 'met' : 'NOT met'}`,
  )
  if (results.trace_cost) log(traceCostLine(results.trace_cost))
  writeResults(options.out, results)
}

await runBench(run, main, stopAllChildren)
