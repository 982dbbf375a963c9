import { setTimeout as sleep } from 'node:timers/promises'
import type { BatchGenerator } from '../lib/batches.ts'
import { log } from '../lib/log.ts'
import type { E2eContext } from './context.ts'
import type { WindowFigures } from './figures.ts'
import { loadOptions } from './fixed-rate-run.ts'
import { startFramewire, stopFramewire } from './framewire.ts'
import { type FixedRateLoad, startFixedRate } from './load.ts'
import { measureWindow } from './measure.ts'
import { logWindow } from './progress.ts'
import { waitForConnections, waitForSteadyState, waitOthersQuietFor } from './settling.ts'
import { SINK_NAMES } from './sink-protocol.ts'
import type { Sinks } from './sinks-control.ts'

/**
 * The highest sustained rate: one Framewire process, the rate climbed through --steps without a restart,
 * until a step is not sustained. A step that fails while other processes are busy is measured once more.
 */
export async function staircase(ctx: E2eContext, sinks: Sinks, generator: BatchGenerator) {
  const { steps, stepSettleS, stepDurationS, connectWaitS, settleMaxS } = ctx.options
  log(`staircase: ${steps.join(' → ')} events/s, ${stepSettleS} s settle + ${stepDurationS} s each`)
  const othersBefore = await waitOthersQuietFor(ctx, sinks)
  sinks.hang(null)
  sinks.clear()
  const fw = await startFramewire(ctx, 'staircase', sinks, 'kafka')
  const results: WindowFigures[] = []
  let load: FixedRateLoad | undefined
  try {
    let previous = 0
    for (const rate of steps) {
      // One load for the whole climb: each step adds the increment's connections, the others stay open.
      if (!load) load = startFixedRate(loadOptions(ctx, fw, rate, generator))
      else load.increase(rate - previous)
      previous = rate
      const stepLoad = load
      const setup = await waitForConnections(stepLoad, connectWaitS)
      await sleep(stepSettleS * 1000)
      const measureStep = async (label: string) => {
        const settling = await waitForSteadyState(ctx, fw, rate, null)
        return measureWindow(ctx, fw, sinks, stepLoad, {
          label,
          rate,
          seconds: stepDurationS,
          hanging: null,
          setup,
          settling,
        })
      }
      let figures = await measureStep(`step-${rate}`)
      if (results.length === 0) figures.other_processes_before_run = othersBefore
      logWindow(figures, settleMaxS)
      // A step that failed while other processes took the CPUs gets one more try once they are quiet (the
      // load keeps running); the disturbed attempt is kept in the results too.
      if (!figures.sustained.ok && figures.disturbed) {
        results.push(figures)
        const others = await waitOthersQuietFor(ctx, sinks)
        figures = await measureStep(`step-${rate}-retry`)
        figures.other_processes_before_run = others
        logWindow(figures, settleMaxS)
      }
      results.push(figures)
      if (!figures.sustained.ok && !ctx.options.allSteps) break
    }
  } finally {
    await load?.stop()
    await stopFramewire(fw)
  }
  return staircaseResults(results, stepSettleS, stepDurationS)
}

function staircaseResults(results: WindowFigures[], stepSettleS: number, stepDurationS: number) {
  // The verdict of a step is that of its last attempt (a retry replaces a disturbed failure).
  const finals = results.filter((r, i) => results[i + 1]?.target_events_per_s !== r.target_events_per_s)
  let highest: number | null = null
  for (const r of finals) {
    if (!r.sustained.ok) break
    highest = r.target_events_per_s
  }
  const firstFailed = finals.find((r) => !r.sustained.ok)
  return {
    method:
      `one Framewire process, rates climbed in order without restarting; each step adds the increment's ` +
      `connections (the earlier ones stay open), waits until they have been answered, runs ${stepSettleS} s ` +
      `unmeasured at the new rate, then ${stepDurationS} s measured; the climb stops at the first step not sustained`,
    highest_sustained_events_per_s: highest,
    /** True when every step was sustained: the real limit is higher than the last step. */
    highest_is_lower_bound: firstFailed === undefined,
    first_not_sustained: firstFailed
      ? { events_per_s: firstFailed.target_events_per_s, reasons: firstFailed.sustained.reasons }
      : null,
    steps: results.map((r) => ({
      label: r.label,
      target_events_per_s: r.target_events_per_s,
      accepted_events_per_s: r.load.accepted_events_per_s,
      sustained: r.sustained,
      non_2xx: r.load.non_2xx,
      connections: r.load.connections,
      connections_all_answered_after_s: r.connection_setup.all_answered_after_s,
      settled_after_s: r.settling.settled_after_s,
      accept_queue_max: r.accept_queue.max,
      ingest_latency_p99_ms: r.load.ingest_latency_ms.p99,
      p99_ms_histogram: Object.fromEntries(SINK_NAMES.map((n) => [n, r.connectors[n].histogram_ms.p99])),
      p99_ms_exact: Object.fromEntries(SINK_NAMES.map((n) => [n, r.connectors[n].exact_ms.p99])),
      backlog_end: Object.fromEntries(SINK_NAMES.map((n) => [n, r.connectors[n].backlog.end])),
      delivered_per_s: Object.fromEntries(SINK_NAMES.map((n) => [n, r.connectors[n].delivered_per_s])),
      cpu_cores_used: r.cpu_cores_used,
      framewire_event_loop_lag_p99_ms: r.framewire_event_loop_lag_p99_ms,
      kafka_offset_commits_per_s: r.kafka_offset_commits_per_s,
      disturbed: r.disturbed,
    })),
    full: results,
  }
}

export type Staircase = Awaited<ReturnType<typeof staircase>>
