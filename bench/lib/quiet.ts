import { setTimeout as sleep } from 'node:timers/promises'
import { cpuSnapshot, cpuWindow } from './cpu.ts'
import { log } from './log.ts'
import { findPids, loadAverage } from './proc.ts'

/** Other processes using more than this many cores make a measurement noisy. */
export const QUIET_CORES = 0.3

/**
 * Waits, at most `maxS` seconds, until processes other than this one and `ours()` use under
 * QUIET_CORES over a second. Returns the cores they used in the last second sampled (null off Linux).
 */
export async function waitOthersQuiet(ours: () => number[], maxS: number): Promise<number | null> {
  const deadline = Date.now() + maxS * 1000
  let announced = false
  for (;;) {
    const parties = { ours: [process.pid, ...ours()] }
    const before = cpuSnapshot(parties)
    await sleep(1000)
    const other = cpuWindow(before, cpuSnapshot(parties)).cores.other_processes ?? null
    if (other === null) return null
    if (other < QUIET_CORES || Date.now() > deadline) {
      if (other >= QUIET_CORES && maxS > 0)
        log(`  other processes still use ${other} cores; measuring anyway`)
      return other
    }
    if (!announced) log(`  waiting for other processes to quieten (${other} cores busy)`)
    announced = true
  }
}

export interface QuietMachine {
  waited_s: number
  load_average_at_begin: number | undefined
  quiet: boolean
}

/**
 * Waits, at most `maxS` seconds, for a quiet machine before a long bench: no `bench/ingest` run and a
 * one-minute load average below `maxLoad`. Checked every 5 s.
 */
export async function waitQuietMachine(maxLoad: number, maxS: number): Promise<QuietMachine> {
  const started = Date.now()
  let announced = false
  for (;;) {
    const others = findPids('bench/ingest/run.ts')
    const load = loadAverage()
    const quiet = others.length === 0 && load !== undefined && load < maxLoad
    const waited = (Date.now() - started) / 1000
    if (quiet || waited >= maxS) {
      if (!quiet && maxS > 0)
        log(
          `the machine is still busy (load ${load}, bench/ingest pids ${others.join(',') || 'none'}); starting anyway`,
        )
      return { waited_s: Math.round(waited), load_average_at_begin: load, quiet }
    }
    if (!announced)
      log(
        `waiting for a quiet machine (load ${load}, want < ${maxLoad}; bench/ingest running: ${others.length > 0}), up to ${maxS} s`,
      )
    announced = true
    await sleep(5000)
  }
}
