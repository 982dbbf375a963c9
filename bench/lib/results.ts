import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, relative } from 'node:path'
import { kafkaVersion } from '../../src/bus/local-kafka.ts'
import { log } from './log.ts'
import { round } from './numbers.ts'
import type { MachineNotes } from './proc.ts'

/** The parts of a results file both benches write the same way. */

export function writeResults(out: string, results: unknown) {
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`)
  log(`results: ${relative(process.cwd(), out)}`)
}

/**
 * `machine`: the notes taken at the start, then the bench's own readings (`readings`, e.g. the load
 * average at the end), the Kafka version, that Kafka and Redis share the machine, and the pinning.
 */
export function machineSection(notes: MachineNotes, readings: Record<string, unknown>, pinning: unknown) {
  return {
    ...notes,
    memory_gb: round(notes.memory_bytes / 2 ** 30, 1),
    ...readings,
    kafka_version: kafkaVersion(),
    kafka_on_same_machine: true,
    redis_on_same_machine: true,
    pinning,
  }
}
