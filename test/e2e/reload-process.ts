import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll } from 'vitest'
import type { PlayerEvent } from '../../src/event.ts'
import { freePort } from '../helpers/free-port.ts'
import { type BusType, testConfigYaml, WRITE_KEY, waitReady } from '../helpers/pipeline.ts'
import { envelope } from '../helpers/player-events.ts'

const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) c.kill('SIGKILL')
})

/** A `connectors:` entry for a webhook connector; `header` tells apart which config sent a request. */
export const webhookEntry = (name: string, url: string, header: string) =>
  `  - name: ${name}\n    type: webhook\n    settings: { url: ${url}, headers: { x-version: ${header} } }\n`

/**
 * `framewire start` in a child process on a config file the test rewrites. `base` is the config without
 * its `connectors:` block; `write` replaces the file atomically, as editors and config management do.
 */
export async function startReloadable(
  connectors: string,
  { bus = 'kafka', logLevel = 'warn' }: { bus?: BusType; logLevel?: string } = {},
) {
  const port = await freePort()
  const file = join(mkdtempSync(join(tmpdir(), 'fw-reload-')), 'framewire.yaml')
  const base = testConfigYaml('', bus).replace('port: 0,', `port: ${port},`)
  const write = (text: string) => {
    writeFileSync(`${file}.tmp`, text)
    renameSync(`${file}.tmp`, file)
  }
  write(`${base}connectors:\n${connectors}`)
  const child = spawn(process.execPath, ['bin/framewire.js', 'start', '--config', file], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, LOG_LEVEL: logLevel },
  })
  children.push(child)
  const url = `http://127.0.0.1:${port}`
  await waitReady(url)
  return {
    base,
    child,
    /** Replaces the whole file. */
    write,
    /** Replaces the `connectors:` block. */
    writeConnectors: (entries: string) => write(`${base}connectors:\n${entries}`),
    async post(events: PlayerEvent[], key = WRITE_KEY) {
      const res = await request(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify(envelope(events)),
      })
      await res.body.dump()
      return res.statusCode
    },
    /** The first /metrics line starting with `prefix`, or ''. */
    async metric(prefix: string) {
      const text = await (await request(`${url}/metrics`)).body.text()
      return text.split('\n').find((l) => l.startsWith(prefix)) ?? ''
    },
    /** Polls /metrics until the line starting with `prefix` passes `check`; returns that line. */
    async waitForMetric(prefix: string, check: (line: string) => boolean, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const line = await this.metric(prefix)
        if (check(line)) return line
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${prefix} (last: "${line}")`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
    async stop() {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
    },
  }
}
