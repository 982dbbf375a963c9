import { hasTaskset, pinProcess } from './proc.ts'

/** The server under test runs on this CPU; this process (the load generator, and the sinks) on the other. */
export const SERVER_CPU = 0
export const LOADGEN_CPU = 1

export interface Pinning {
  used: boolean
  /** 'taskset', or why pinning is off. */
  reason: string
}

/** Pins this process to LOADGEN_CPU; off with --no-pin, without taskset or with a single core. */
export function pinLoadGenerator({ noPin, cores }: { noPin: boolean; cores: number }): Pinning {
  if (noPin) return { used: false, reason: '--no-pin' }
  if (!hasTaskset()) return { used: false, reason: 'taskset not found' }
  if (cores < 2) return { used: false, reason: 'fewer than 2 cores' }
  if (!pinProcess(process.pid, LOADGEN_CPU)) return { used: false, reason: 'taskset refused' }
  return { used: true, reason: 'taskset' }
}

/** The CPU to start the server on: SERVER_CPU when pinning, else none. */
export const serverCpu = (pinning: Pinning) => (pinning.used ? SERVER_CPU : undefined)
