import { setTimeout as sleep } from 'node:timers/promises'
import type { BatchGenerator } from '../lib/batches.ts'
import { log } from '../lib/log.ts'
import { backlog } from './bus-groups.ts'
import type { E2eContext } from './context.ts'
import type { WindowFigures } from './figures.ts'
import { type BusType, type Framewire, startFramewire, stopFramewire } from './framewire.ts'
import { type FixedRateLoad, type FixedRateOptions, startFixedRate } from './load.ts'
import { measureWindow } from './measure.ts'
import { logWindow } from './progress.ts'
import { waitForConnections, waitForSteadyState, waitOthersQuietFor } from './settling.ts'
import type { SinkName } from './sink-protocol.ts'
import type { Sinks } from './sinks-control.ts'

/** The load's options for a Framewire and a rate, with the invocation's phases and per-connection rate. */
export const loadOptions = (
  ctx: E2eContext,
  fw: Framewire,
  rate: number,
  generator: BatchGenerator,
): FixedRateOptions => ({
  url: fw.url,
  writeKey: ctx.writeKey,
  eventsPerSecond: rate,
  generator,
  phases: ctx.options.phases,
  perConnectionRate: ctx.options.perConnectionRate,
})

/**
 * One run at a fixed rate in a fresh Framewire process: open the connections, warm up, wait for steady
 * state, measure --duration seconds. With `hanging`, that sink never answers during the run.
 */
export async function fixedRateRun(
  ctx: E2eContext,
  label: string,
  rate: number,
  hanging: SinkName | null,
  sinks: Sinks,
  generator: BatchGenerator,
  bus: BusType = 'kafka',
  trace: 'all' | 'off' = 'off',
): Promise<WindowFigures> {
  const { warmupS, durationS, connectWaitS, settleMaxS } = ctx.options
  log(
    `${label}: ${rate} events/s on the ${bus} bus${hanging ? `, ${hanging} hanging` : ''}${trace === 'all' ? ', tracing all events' : ''}, ${warmupS} s warm-up + ${durationS} s`,
  )
  const othersBefore = await waitOthersQuietFor(ctx, sinks)
  sinks.hang(hanging)
  sinks.clear()
  const fw = await startFramewire(ctx, label, sinks, bus, trace)
  let load: FixedRateLoad | undefined
  try {
    load = startFixedRate(loadOptions(ctx, fw, rate, generator))
    const setup = await waitForConnections(load, connectWaitS)
    log(
      `  ${setup.answered}/${setup.opened} connections answered after ${setup.all_answered_after_s ?? `>${connectWaitS}`} s; warm-up`,
    )
    await sleep(warmupS * 1000)
    // With connections still unaccepted the ingest is past capacity: no steady state to wait for.
    const settling =
      setup.all_answered_after_s === null
        ? { settled_after_s: null, backlog_after_warmup: await backlog(ctx.admin, fw) }
        : await waitForSteadyState(ctx, fw, rate, hanging)
    const figures = await measureWindow(ctx, fw, sinks, load, {
      label,
      rate,
      seconds: durationS,
      hanging,
      setup,
      settling,
    })
    figures.other_processes_before_run = othersBefore
    logWindow(figures, settleMaxS)
    return figures
  } finally {
    await load?.stop()
    // Let the held requests go, so the hanging worker's drain does not wait for them.
    sinks.hang(null)
    await stopFramewire(fw)
  }
}
