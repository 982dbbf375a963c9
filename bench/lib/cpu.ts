import { round } from './numbers.ts'
import { cpuSecondsOf, machineBusySeconds } from './proc.ts'

/**
 * Cores used over a window by each party of a run (the server, the load generator, Kafka, Redis, ...) and by
 * every other process on the machine, from two snapshots of their CPU time.
 */

/** A party's processes; SELF is this process (the load generator), read with process.cpuUsage. */
export const SELF = 'self'
export type Parties = Record<string, number[] | typeof SELF>

export interface CpuSnapshot<P extends Parties> {
  parties: P
  wall: number
  /** Busy CPU seconds of the whole machine since boot; undefined off Linux. */
  machine: number | undefined
  seconds: Record<keyof P, number>
}

export const cpuOfAll = (pids: number[]) => pids.reduce((sum, pid) => sum + (cpuSecondsOf(pid) ?? 0), 0)

function ownSeconds() {
  const own = process.cpuUsage()
  return (own.user + own.system) / 1e6
}

export function cpuSnapshot<P extends Parties>(parties: P): CpuSnapshot<P> {
  const seconds = {} as Record<keyof P, number>
  for (const [name, pids] of Object.entries(parties) as [keyof P, P[keyof P]][])
    seconds[name] = pids === SELF ? ownSeconds() : cpuOfAll(pids as number[])
  return { parties, wall: performance.now(), machine: machineBusySeconds(), seconds }
}

export interface CpuWindow<P extends Parties> {
  wall_s: number
  /** CPU seconds each party used in the window. */
  seconds: Record<keyof P, number>
  /**
   * CPU seconds per wall second (1.0 = one core busy) of each party (null: no such process was found),
   * and of `other_processes`: everything else on the machine, noise in the figures when high.
   */
  cores: Record<keyof P | 'other_processes', number | null>
}

export function cpuWindow<P extends Parties>(before: CpuSnapshot<P>, after: CpuSnapshot<P>): CpuWindow<P> {
  const wall = (after.wall - before.wall) / 1000
  const seconds = {} as Record<keyof P, number>
  const cores = {} as Record<keyof P | 'other_processes', number | null>
  let ours = 0
  for (const [name, pids] of Object.entries(before.parties) as [keyof P, P[keyof P]][]) {
    seconds[name] = after.seconds[name] - before.seconds[name]
    ours += seconds[name] / wall
    cores[name] = pids !== SELF && pids.length === 0 ? null : round(seconds[name] / wall, 2)
  }
  cores.other_processes =
    before.machine === undefined || after.machine === undefined
      ? null
      : round(Math.max(0, (after.machine - before.machine) / wall - ours), 2)
  return { wall_s: wall, seconds, cores }
}
