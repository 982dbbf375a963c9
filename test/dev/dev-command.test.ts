import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

/**
 * `framewire dev --demo` as a newcomer runs it: a real child process with the example config, its embedded
 * bus and its archive in a temporary working directory, the ingest on a free port.
 */

const BIN = resolve('bin/framewire.js')
const CONFIG = resolve('examples/framewire.yaml')

let cwd: string
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'fw-dev-'))
})
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true })
})

interface Run {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
}

function startDev(...args: string[]): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0' }
  // The example config's own defaults: embedded bus, the receiver `dev` starts.
  for (const name of ['FRAMEWIRE_BUS', 'FRAMEWIRE_DATA', 'FRAMEWIRE_DEV_RECEIVER', 'LOG_LEVEL'])
    delete env[name]
  const child = spawn(process.execPath, [BIN, 'dev', '-c', CONFIG, '--demo', ...args], { cwd, env })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  return { child, stdout: () => stdout, stderr: () => stderr }
}

async function exitCode(run: Run): Promise<number | null> {
  const [code] = await once(run.child, 'exit')
  return code as number | null
}

/** The figures of the printed summary table. */
function printedSummary(stdout: string) {
  const ingest = stdout.match(/ingest: ([\d,]+) events accepted \(([\d,.]+) events\/s\), ([\d,]+) rejected/)
  const figure = (text: string | undefined) => Number(text?.replaceAll(',', ''))
  const connector = (name: string) => {
    const row = stdout.match(
      new RegExp(`^ {2}${name} +(\\w+) +([\\d,]+) +([\\d,]+) +([\\d,]+) +([\\d,]+)$`, 'm'),
    )
    return row && { type: row[1], delivered: figure(row[2]), p50: figure(row[3]), p99: figure(row[4]) }
  }
  return {
    accepted: figure(ingest?.[1]),
    eventsPerSecond: figure(ingest?.[2]),
    rejected: figure(ingest?.[3]),
    archive: connector('archive'),
    hook: connector('hook'),
  }
}

describe('framewire dev --demo', () => {
  it('runs for --duration, then prints what the ingest accepted and each connector delivered', async () => {
    const run = startDev('--duration', '8', '--players', '40')
    const code = await exitCode(run)
    expect(code, run.stderr()).toBe(0)

    expect(run.stdout()).toMatch(/ingest +http:\/\/127\.0\.0\.1:\d+\/v1\/events/)
    expect(run.stdout()).toContain('40 simulated players')
    const summary = printedSummary(run.stdout())
    expect(summary.eventsPerSecond).toBeGreaterThan(0)
    expect(summary.rejected).toBe(0)
    expect(summary.archive).toMatchObject({ type: 'file', delivered: summary.accepted })
    expect(summary.hook?.type).toBe('webhook')
    expect(summary.hook?.delivered).toBeGreaterThan(0)
    expect(summary.archive?.p99).toBeGreaterThanOrEqual(summary.archive?.p50 ?? Number.NaN)

    // The same figures in the JSON log.
    const logged = run
      .stderr()
      .split('\n')
      .filter((line) => line.includes('"dev run summary"'))
      .map((line) => JSON.parse(line).summary)
    expect(logged[0]).toMatchObject({ accepted: summary.accepted, rejected: 0 })

    // The archive holds every accepted event once, enriched, and the views began properly.
    const lines = (await readFile(join(cwd, 'framewire-data/events.ndjson'), 'utf8')).trim().split('\n')
    const events = lines.map((line) => JSON.parse(line))
    expect(events).toHaveLength(summary.accepted)
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length)
    expect(events.every((e) => e.source === 'web' && typeof e.received_at === 'number')).toBe(true)
    const types = new Set(events.map((e) => e.type))
    for (const type of ['view_start', 'rendition_change', 'buffer_start', 'playback_start'])
      expect(types).toContain(type)
  })

  it('ends on SIGINT with the same summary', async () => {
    const run = startDev('--players', '20')
    while (!run.stdout().includes('stop ')) await new Promise((r) => setTimeout(r, 100))
    await new Promise((r) => setTimeout(r, 3_000))
    run.child.kill('SIGINT')
    expect(await exitCode(run), run.stderr()).toBe(0)
    const summary = printedSummary(run.stdout())
    expect(summary.accepted).toBeGreaterThan(0)
    expect(summary.archive?.delivered).toBe(summary.accepted)
  })
})
