import { setTimeout as sleep } from 'node:timers/promises'
import { log } from '../lib/log.ts'
import { round } from '../lib/numbers.ts'
import { waitOthersQuiet } from '../lib/quiet.ts'
import { kafkaPids, redisPids } from '../lib/services.ts'
import { backlog } from './bus-groups.ts'
import type { E2eContext } from './context.ts'
import type { Framewire } from './framewire.ts'
import type { FixedRateLoad } from './load.ts'
import { SINK_NAMES, type SinkName } from './sink-protocol.ts'
import type { Sinks } from './sinks-control.ts'

/**
 * Waiting before a measurement: for other processes to leave the CPUs, until every connection has been
 * answered, then for steady state.
 */

/** Up to --wait-quiet s for processes other than ours, the sinks, Kafka and Redis to quieten; their cores. */
export const waitOthersQuietFor = (ctx: E2eContext, sinks: Sinks) =>
  waitOthersQuiet(
    () => [sinks.pid, ...kafkaPids(ctx.options.brokers), ...redisPids()],
    ctx.options.waitQuietS,
  )

export interface ConnectionSetup {
  opened: number
  answered: number
  /** Seconds from opening until every connection had an answer (null: not within --connect-wait). */
  all_answered_after_s: number | null
}

/** Waits until every connection opened so far has had an answer, at most `maxS` seconds. */
export async function waitForConnections(load: FixedRateLoad, maxS: number): Promise<ConnectionSetup> {
  const started = performance.now()
  while (load.answeredConnections() < load.connections && performance.now() - started < maxS * 1000) {
    await sleep(250)
  }
  const all = load.answeredConnections() >= load.connections
  if (!all)
    log(`  only ${load.answeredConnections()} of ${load.connections} connections answered within ${maxS} s`)
  return {
    opened: load.connections,
    answered: load.answeredConnections(),
    all_answered_after_s: all ? round((performance.now() - started) / 1000, 1) : null,
  }
}

export interface Settling {
  /** Seconds waited after the warm-up until the backlogs were small (null: not within --settle-max). */
  settled_after_s: number | null
  backlog_after_warmup: Record<SinkName, number>
}

/**
 * Waits for steady state: each connector (but a hanging one) at most --settle-backlog-s of events behind
 * on two samples a second apart, for at most --settle-max seconds.
 */
export async function waitForSteadyState(
  ctx: E2eContext,
  fw: Framewire,
  rate: number,
  hanging: SinkName | null,
): Promise<Settling> {
  const { settleBacklogS, settleMaxS } = ctx.options
  const started = performance.now()
  const limit = settleBacklogS * rate
  const first = await backlog(ctx.admin, fw)
  let current = first
  let calm = 0
  for (;;) {
    const small = SINK_NAMES.every((n) => n === hanging || current[n] <= limit)
    calm = small ? calm + 1 : 0
    if (calm >= 2)
      return { settled_after_s: round((performance.now() - started) / 1000, 1), backlog_after_warmup: first }
    if (performance.now() - started > settleMaxS * 1000) {
      log(
        `  not in steady state after ${settleMaxS} s (backlog ${JSON.stringify(current)}); measuring anyway`,
      )
      return { settled_after_s: null, backlog_after_warmup: first }
    }
    await sleep(1000)
    current = await backlog(ctx.admin, fw)
  }
}
