/**
 * End-to-end benchmark: players' batches in at a fixed rate, through the ingest, Kafka (acks=all) and three
 * connector workers (amplitude, datadog, webhook types), out to local stand-ins that answer at once.
 * Reports delivery latency per connector (exact at the sinks, and from Framewire's own histogram), the
 * highest rate sustained without backlog growth, and what one hanging destination does to the others.
 * See bench/README.md.
 *
 *   npm run bench:e2e               # full: 60 s per rate, ~8 minutes
 *   npm run bench:e2e -- --quick    # 10 s per rate, 5 s per step: for trying it out, not for the record
 */
import { createBatchGenerator } from '../lib/batches.ts'
import { stopAllChildren } from '../lib/children.ts'
import { deleteRunTopics, lazyAdmin } from '../lib/kafka-admin.ts'
import { log } from '../lib/log.ts'
import { LOADGEN_CPU, SERVER_CPU } from '../lib/pinning.ts'
import { affinityOf } from '../lib/proc.ts'
import { waitQuietMachine } from '../lib/quiet.ts'
import { writeResults } from '../lib/results.ts'
import { newRun, runBench } from '../lib/run-bench.ts'
import { checkBatches } from '../lib/workload.ts'
import { amplitudeRebuild } from './amplitude-rebuild.ts'
import { GOAL, type Runs } from './comparisons.ts'
import { BATCH_SIZE, type E2eContext } from './context.ts'
import { fixedRateRun } from './fixed-rate-run.ts'
import { parseOptions } from './options.ts'
import { e2eResults } from './results.ts'
import { startSinks } from './sinks-control.ts'
import { staircase } from './staircase.ts'

const options = parseOptions()
const run = newRun('e2e', options)
const ctx: E2eContext = {
  options,
  run,
  admin: lazyAdmin(options.brokers, 'framewire-bench-e2e'),
  marker: `bench-e2e-${run.id}`,
  writeKey: `bench-e2e-${run.id}-write-key`,
}

async function main() {
  const generator = createBatchGenerator({ batchSize: BATCH_SIZE })
  checkBatches(generator, 512)
  const rebuild = amplitudeRebuild(generator)
  const { pinning } = run
  log(
    `pinning: ${pinning.used ? `Framewire on CPU ${SERVER_CPU}; load generator and sinks on CPU ${LOADGEN_CPU}; Kafka and Redis unpinned` : `off (${pinning.reason})`}`,
  )
  log(
    `amplitude exact latency: ${rebuild ? `rebuilt from time (ts spacing ${rebuild.spacingMs} ms)` : 'not available'}`,
  )
  const waited = await waitQuietMachine(options.waitLoad, options.waitMaxS)
  const startedAt = Date.now()
  const sinks = await startSinks(run.workDir, rebuild)
  const sinksAffinity = affinityOf(sinks.pid)

  const runs: Runs = { healthy: new Map(), hanging: new Map(), embedded: new Map(), traced: new Map() }
  const { hang } = options
  for (const rate of options.rates) {
    runs.healthy.set(rate, await fixedRateRun(ctx, `healthy-${rate}`, rate, null, sinks, generator))
    // Right after the healthy run at the same rate, so the two see the same machine.
    if (options.hangRates.includes(rate))
      runs.hanging.set(rate, await fixedRateRun(ctx, `hanging-${hang}-${rate}`, rate, hang, sinks, generator))
    if (options.trace === 'all' && rate === options.rates[0])
      runs.traced.set(
        rate,
        await fixedRateRun(ctx, `traced-${rate}`, rate, null, sinks, generator, 'kafka', 'all'),
      )
    if (options.embeddedRates.includes(rate))
      runs.embedded.set(
        rate,
        await fixedRateRun(ctx, `embedded-${rate}`, rate, null, sinks, generator, 'embedded'),
      )
  }
  const stairs = await staircase(ctx, sinks, generator)
  sinks.process.child.disconnect()
  if (!options.keepTopics) await deleteRunTopics(ctx.admin, ctx.marker)
  await ctx.admin.disconnect()

  const results = e2eResults(ctx, { waited, startedAt, sinksAffinity, generator, rebuild }, runs, stairs)
  const { met } = results.goal
  log(
    `\ngoal (p99 ≤ ${GOAL.p99Ms} ms at ${GOAL.rate}/s): ${met === null ? 'not measured' : met ? 'met' : 'NOT met'}`,
  )
  log(
    `highest sustained: ${stairs.highest_is_lower_bound ? '≥ ' : ''}${stairs.highest_sustained_events_per_s ?? `below ${options.steps[0]}`} events/s`,
  )
  writeResults(options.out, results)
}

await runBench(run, main, async () => {
  await stopAllChildren()
  await ctx.admin.disconnect()
})
