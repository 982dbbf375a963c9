import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { stringify } from 'yaml'
import { freePort } from './free-port.ts'

/** Debian's Prometheus (package `prometheus`), installed by .ci/run. */
const PROMETHEUS = '/usr/bin/prometheus'

export interface PrometheusOptions {
  /** host:port targets scraped at /metrics. */
  targets: string[]
  /** Rule files, by name, with their YAML text. */
  rules: Record<string, string>
  /** Scrape and rule evaluation interval. */
  interval: string
}

export interface RunningPrometheus {
  url: string
  /** GET on the HTTP API; throws unless Prometheus answers `status: success`. */
  api<T>(path: string, params?: Record<string, string>): Promise<T>
  stop(): Promise<void>
}

/** A real Prometheus on loopback, on a free port, with its own storage in a temporary directory. */
export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'framewire-prometheus-'))
  const ruleFiles = []
  for (const [name, text] of Object.entries(options.rules)) {
    await writeFile(join(dir, name), text)
    ruleFiles.push(join(dir, name))
  }
  const config = {
    global: { scrape_interval: options.interval, evaluation_interval: options.interval },
    rule_files: ruleFiles,
    scrape_configs: [{ job_name: 'framewire', static_configs: [{ targets: options.targets }] }],
  }
  await writeFile(join(dir, 'prometheus.yml'), stringify(config))
  const port = await freePort()
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let log = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000)
  })
  const url = `http://127.0.0.1:${port}`
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    child.kill('SIGTERM')
    await exited
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await waitReady(url, child, () => log)
  } catch (err) {
    await stop()
    throw err
  }
  return {
    url,
    async api<T>(path: string, params: Record<string, string> = {}) {
      const res = await request(`${url}${path}?${new URLSearchParams(params)}`)
      const body = (await res.body.json()) as { status: string; data: T; error?: string }
      if (body.status !== 'success') throw new Error(`${path} ${JSON.stringify(params)}: ${body.error}`)
      return body.data
    },
    stop,
  }
}

async function waitReady(url: string, child: ChildProcess, log: () => string) {
  const deadline = Date.now() + 20_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}): ${log()}`)
    const ready = await request(`${url}/-/ready`).then(
      (r) => r.body.dump().then(() => r.statusCode === 200),
      () => false,
    )
    if (ready) return
    if (Date.now() > deadline) throw new Error(`prometheus not ready within 20 s: ${log()}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}
