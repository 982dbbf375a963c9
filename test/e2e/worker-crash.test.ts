import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, expect, it } from 'vitest'
import { connectorTypes } from '../../connectors/index.ts'
import { openSqliteLog } from '../../src/bus/sqlite-log.ts'
import { parseConfig } from '../../src/config/load.ts'
import type { PlayerEvent } from '../../src/event.ts'
import { freePort } from '../helpers/free-port.ts'
import { startPipeline, testConfigYaml, WRITE_KEY, waitReady } from '../helpers/pipeline.ts'
import { envelope, playerView } from '../helpers/player-events.ts'
import { connectorsYaml, postViews, type StandIns, startStandIns, until } from './harness.ts'

const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) c.kill('SIGKILL')
})

/** Kills the process while a webhook request is unanswered, so the crash lands mid-batch. */
async function killMidBatch(process: ChildProcess, standIns: StandIns): Promise<void> {
  await until(
    'a webhook request in flight',
    () => standIns.webhook.received.some((r) => r.status === undefined),
    30_000,
  )
  process.kill('SIGKILL')
  await new Promise((r) => process.once('exit', r))
}

function startProcess(configFile: string, role: 'worker' | 'all'): ChildProcess {
  const child = spawn(
    process.execPath,
    ['bin/framewire.js', 'start', '--role', role, '--config', configFile],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    },
  )
  children.push(child)
  return child
}

it('loses nothing when a worker is killed with SIGKILL mid-batch and restarted', async () => {
  const standIns = await startStandIns()
  // Small webhook batches against a slow receiver keep batches in flight for seconds, so the kill lands mid-batch.
  const yaml = testConfigYaml(connectorsYaml(standIns)).replace(
    'type: webhook\n',
    'type: webhook\n    batching: { max_items: 50 }\n',
  )
  const file = join(mkdtempSync(join(tmpdir(), 'fw-crash-')), 'framewire.yaml')
  writeFileSync(file, yaml)
  const ingest = await startPipeline(parseConfig(yaml, file, connectorTypes), 'ingest')
  try {
    standIns.webhook.script.delayFor(120_000, 1000)
    const first = startProcess(file, 'worker')
    const events = await postViews(ingest.url, 300)
    await until('some deliveries', () => standIns.webhook.uniqueCount() > 100, 60_000)
    await killMidBatch(first, standIns)
    expect(standIns.webhook.uniqueCount()).toBeLessThan(events.length)
    standIns.webhook.script.clear()

    const second = startProcess(file, 'worker')
    const all = new Set(events.map((e) => e.event_id))
    await until(
      'every event at every destination',
      () =>
        [
          standIns.webhook.uniqueCount(),
          standIns.datadog.uniqueCount(),
          standIns.amplitude.uniqueCount(),
        ].every((n) => n >= all.size),
      90_000,
    )
    expect(new Set(standIns.webhook.events.map((e) => e.event_id))).toEqual(all)
    expect(new Set(standIns.datadog.logs.map((l) => l.event_id))).toEqual(all)
    expect(new Set(standIns.amplitude.ingested.map((e) => e.insert_id))).toEqual(all)
    second.kill('SIGTERM')
    expect(await new Promise((r) => second.once('exit', r))).toBe(0)
  } finally {
    await ingest.stop()
    await standIns.close()
  }
}, 180_000)

/** Posts views until stopped, remembering which events were acknowledged (202) and which were only sent. */
function postUntilStopped(url: string) {
  const sent: PlayerEvent[] = []
  const acknowledged: PlayerEvent[] = []
  let stopped = false
  const loops = Array.from({ length: 4 }, async () => {
    while (!stopped) {
      const batch = [...playerView(10), ...playerView(10)]
      sent.push(...batch)
      try {
        const res = await request(`${url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}` },
          body: JSON.stringify(envelope(batch)),
        })
        await res.body.text()
        if (res.statusCode === 202) acknowledged.push(...batch)
      } catch {
        // The process was killed under this request: it was never acknowledged.
      }
    }
  })
  return {
    sent,
    acknowledged,
    async stop() {
      stopped = true
      await Promise.all(loops)
    },
  }
}

/** The event ids the embedded bus holds on disk for `topic`, read beside the (dead) process. */
function eventIdsOnDisk(path: string, topic: string): Set<string> {
  const log = openSqliteLog(path)
  try {
    const rows = log.db
      .prepare<[string], { value: Buffer }>(
        'SELECT value FROM records JOIN topics ON topics.id = records.topic_id WHERE topics.name = ?',
      )
      .all(topic)
    return new Set(rows.map((r) => (JSON.parse(r.value.toString()) as PlayerEvent).event_id))
  } finally {
    log.close()
  }
}

it('embedded bus: a process killed with SIGKILL keeps every acknowledged event and redelivers what it had not committed', async () => {
  const standIns = await startStandIns()
  const port = await freePort()
  const yaml = testConfigYaml(connectorsYaml(standIns), 'embedded')
    .replace('port: 0, body_limit_bytes', `port: ${port}, body_limit_bytes`)
    .replace('type: webhook\n', 'type: webhook\n    batching: { max_items: 50 }\n')
  const file = join(mkdtempSync(join(tmpdir(), 'fw-crash-embedded-')), 'framewire.yaml')
  writeFileSync(file, yaml)
  const config = parseConfig(yaml, file, connectorTypes)
  const url = `http://127.0.0.1:${port}`
  try {
    standIns.webhook.script.delayFor(120_000, 1000)
    const first = startProcess(file, 'all')
    await waitReady(url)
    const load = postUntilStopped(url)
    await until('some deliveries', () => standIns.webhook.uniqueCount() > 100, 60_000)
    await until('1000 acknowledged events', () => load.acknowledged.length >= 1000, 60_000)
    await killMidBatch(first, standIns)
    await load.stop()
    const acknowledged = new Set(load.acknowledged.map((e) => e.event_id))
    expect(acknowledged.size).toBeGreaterThanOrEqual(1000)
    expect(standIns.webhook.uniqueCount()).toBeLessThan(acknowledged.size)

    const onDisk = eventIdsOnDisk(config.bus.path, config.topics.events)
    expect([...acknowledged].filter((id) => !onDisk.has(id))).toEqual([])
    standIns.webhook.script.clear()

    const second = startProcess(file, 'all')
    await until(
      'every acknowledged event at every destination',
      () =>
        [standIns.webhook, standIns.datadog, standIns.amplitude].every((s) => s.uniqueCount() >= onDisk.size),
      90_000,
    )
    const sent = new Set(load.sent.map((e) => e.event_id))
    for (const delivered of [
      standIns.webhook.events.map((e) => e.event_id),
      standIns.datadog.logs.map((l) => l.event_id),
      standIns.amplitude.ingested.map((e) => e.insert_id),
    ]) {
      const ids = new Set(delivered)
      expect([...acknowledged].filter((id) => !ids.has(id))).toEqual([])
      expect([...ids].filter((id) => !sent.has(id as string))).toEqual([])
    }
    second.kill('SIGTERM')
    expect(await new Promise((r) => second.once('exit', r))).toBe(0)
  } finally {
    await standIns.close()
  }
}, 180_000)
