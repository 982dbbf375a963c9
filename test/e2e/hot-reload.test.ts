import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, expect, it } from 'vitest'
import type { PlayerEvent } from '../../src/event.ts'
import { freePort } from '../helpers/free-port.ts'
import { testConfigYaml, WRITE_KEY, waitReady } from '../helpers/pipeline.ts'
import { envelope, playerView } from '../helpers/player-events.ts'
import { startWebhookStandIn } from '../stand-ins/webhook.ts'
import { until } from './harness.ts'

const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) c.kill('SIGKILL')
})

it('applies config changes under steady load without a failed request, a lost or a duplicated delivery', async () => {
  const [a, b] = await Promise.all([startWebhookStandIn(), startWebhookStandIn()])
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'fw-reload-'))
  const file = join(dir, 'framewire.yaml')
  const base = testConfigYaml().replace('port: 0,', `port: ${port},`)
  const webhook = (name: string, url: string, header: string) =>
    `  - name: ${name}\n    type: webhook\n    settings: { url: ${url}, headers: { x-version: ${header} } }\n`
  // Atomic replace, as editors and config management do: the watcher must survive the rename.
  const write = (text: string) => {
    writeFileSync(`${file}.tmp`, text)
    renameSync(`${file}.tmp`, file)
  }
  write(`${base}connectors:\n${webhook('a', a.endpoint, 'one')}`)
  const child = spawn(process.execPath, ['bin/framewire.js', 'start', '--config', file], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  })
  children.push(child)
  const url = `http://127.0.0.1:${port}`
  await waitReady(url)

  const statuses: number[] = []
  const sent: PlayerEvent[] = []
  let running = true
  const post = async (key: string, events: PlayerEvent[]) => {
    const res = await request(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(envelope(events)),
    })
    await res.body.dump()
    return res.statusCode
  }
  const load = (async () => {
    while (running) {
      const events = playerView(5)
      const status = await post(WRITE_KEY, events)
      statuses.push(status)
      if (status === 202) sent.push(...events)
      await new Promise((r) => setTimeout(r, 20))
    }
  })()
  const metric = async (name: string) => {
    const text = await (await request(`${url}/metrics`)).body.text()
    return text.split('\n').find((l) => l.startsWith(name)) ?? ''
  }

  await until('first deliveries', () => a.uniqueCount() > 50, 20_000)
  const infoBefore = await metric('framewire_config_info')

  // 1. A new source and a new connector, and a changed setting on the existing one.
  write(
    `${base.replace('sources:\n', 'sources:\n  - name: tv\n    write_key: tv-write-key-0001\n')}connectors:\n${webhook('a', a.endpoint, 'two')}${webhook('b', b.endpoint, 'one')}`,
  )
  let newKeyStatus = 0
  await until(
    'the new write key',
    () => {
      void post('tv-write-key-0001', playerView(1)).then((s) => {
        newKeyStatus = s
      })
      return newKeyStatus === 202
    },
    15_000,
  )
  await until('the new connector', () => b.uniqueCount() > 0, 20_000)
  await until('the changed setting', () => a.received.some((r) => r.headers['x-version'] === 'two'), 20_000)
  expect(await metric('framewire_config_info')).not.toBe(infoBefore)

  // 2. A broken file is rejected; the pipeline keeps running on the previous config.
  write(`${base}connectors:\n  - name: a\n    type: webhok\n`)
  for (let i = 0; i < 50 && !(await metric('framewire_config_reload_failures_total')).endsWith(' 1'); i++) {
    await new Promise((r) => setTimeout(r, 200))
  }
  expect(await metric('framewire_config_reload_failures_total')).toBe(
    'framewire_config_reload_failures_total 1',
  )
  const deliveredAtBadReload = a.uniqueCount()
  await until('deliveries after the bad reload', () => a.uniqueCount() > deliveredAtBadReload + 20, 20_000)

  running = false
  await load
  const ids = new Set(sent.map((e) => e.event_id))
  await until('every accepted event at a', () => a.uniqueCount() >= ids.size, 30_000)
  expect(statuses.filter((s) => s !== 202)).toEqual([])
  const delivered = new Set(a.events.map((e) => e.event_id))
  expect([...ids].filter((id) => !delivered.has(id))).toEqual([])
  expect(a.duplicateCount()).toBe(0)

  child.kill('SIGTERM')
  await new Promise((r) => child.once('exit', r))
  await Promise.all([a.close(), b.close()])
}, 180_000)
