/**
 * Start-up benchmark: time from spawning `framewire start` (embedded bus, one file connector, no Redis) to
 * its first 200 on /readyz. Runs the same sources with Node's own type stripping and, as the baseline in the
 * same run, with tsx compiling them on load (what bin/framewire.js did before Node 24), alternating the two.
 *
 *   node bench/startup/run.ts --runs 7 --tsx /path/with/node_modules/tsx
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { stringify } from 'yaml'
import { freePort } from '../../test/helpers/free-port.ts'
import { round } from '../lib/numbers.ts'
import { machineNotes } from '../lib/proc.ts'
import { writeResults } from '../lib/results.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    /** A folder whose node_modules holds tsx, for the baseline; without it only type stripping is timed. */
    tsx: { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'bench/results/startup.json') },
  },
})

async function timeToReady(launcher: string[], config: string, port: number): Promise<number> {
  const started = performance.now()
  const child = spawn(process.execPath, [...launcher, 'start', '--config', config], {
    cwd: ROOT,
    stdio: 'ignore',
  })
  try {
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (res) => res.status === 200,
        () => false,
      )
      if (ready) return performance.now() - started
      if (child.exitCode !== null) throw new Error(`framewire exited with ${child.exitCode}`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0

const dir = mkdtempSync(join(tmpdir(), 'fw-startup-'))
const port = await freePort()
const config = join(dir, 'framewire.yaml')
writeFileSync(
  config,
  stringify({
    ingest: { host: '127.0.0.1', port },
    bus: { type: 'embedded', path: join(dir, 'bus.db') },
    redis: { url: '' },
    sources: [{ name: 'web', write_key: 'startup-bench-key' }],
    connectors: [{ name: 'archive', type: 'file', settings: { path: join(dir, 'events.ndjson') } }],
  }),
)
const stripLauncher = [join(ROOT, 'bin/framewire.js')]
const tsxLauncher = flags.tsx
  ? [
      '--import',
      pathToFileURL(join(flags.tsx, 'node_modules/tsx/dist/esm/index.mjs')).href,
      join(ROOT, 'src/cli/main.ts'),
    ]
  : undefined
const strip: number[] = []
const tsx: number[] = []
try {
  for (let i = 0; i < Number(flags.runs); i++) {
    strip.push(await timeToReady(stripLauncher, config, port))
    if (tsxLauncher) tsx.push(await timeToReady(tsxLauncher, config, port))
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
const result = {
  bench: 'startup',
  at: new Date().toISOString(),
  node: process.version,
  machine: machineNotes(),
  runs: Number(flags.runs),
  type_stripping_ms: { median: round(median(strip), 0), all: strip.map((v) => round(v, 0)) },
  ...(tsx.length > 0
    ? {
        tsx_ms: { median: round(median(tsx), 0), all: tsx.map((v) => round(v, 0)) },
        ratios: { type_stripping_vs_tsx: round(median(strip) / median(tsx), 3) },
      }
    : {}),
}
writeResults(flags.out, result)
console.log(JSON.stringify(result, null, 2))
