import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { log } from './log.ts'
import { type Pinning, pinLoadGenerator } from './pinning.ts'
import { type MachineNotes, machineNotes } from './proc.ts'

/** The repository: the benches run Framewire and their helpers from here. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

export interface BenchRun {
  /** The start time, e.g. 20261203-175512: names the run's topics, groups and write key. */
  id: string
  /** Configs, logs and embedded-bus files of the run: removed after success, kept after a failure. */
  workDir: string
  machine: MachineNotes
  pinning: Pinning
}

/** A new run of `bench`: its id and work directory, the machine notes, and this process pinned. */
export function newRun(bench: string, { noPin }: { noPin: boolean }): BenchRun {
  // Before pinning: once pinned, the affinity hides the other core from some APIs.
  const machine = machineNotes()
  return {
    id: new Date().toISOString().replace(/[-:]/g, '').replace(/\..+/, '').replace('T', '-'),
    workDir: mkdtempSync(join(tmpdir(), `fw-bench-${bench}-`)),
    machine,
    pinning: pinLoadGenerator({ noPin, cores: machine.cores }),
  }
}

/**
 * Runs a bench's main: on success removes the work directory; on failure (or Ctrl-C) calls cleanUp, keeps
 * the directory for its logs and says where it is.
 */
export async function runBench(run: BenchRun, main: () => Promise<void>, cleanUp: () => Promise<void>) {
  process.on('SIGINT', () => {
    void cleanUp().then(() => process.exit(130))
  })
  try {
    await main()
    rmSync(run.workDir, { recursive: true, force: true })
  } catch (err) {
    log(`bench failed: ${(err as Error).stack ?? String(err)}`)
    log(`logs are kept in ${run.workDir}`)
    await cleanUp()
    process.exitCode = 1
  }
}
