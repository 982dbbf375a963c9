import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { connectorTypes } from '../../connectors/index.ts'
import { parseConfig } from '../../src/config/load.ts'
import { startPipeline, testConfigYaml } from '../helpers/pipeline.ts'
import { connectorsYaml, postViews, startStandIns, until } from './harness.ts'

const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) c.kill('SIGKILL')
})

function startWorkerProcess(configFile: string): ChildProcess {
  const child = spawn(
    process.execPath,
    ['bin/framewire.js', 'start', '--role', 'worker', '--config', configFile],
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
    const first = startWorkerProcess(file)
    const events = await postViews(ingest.url, 300)
    await until('some deliveries', () => standIns.webhook.uniqueCount() > 100, 60_000)
    // Kill while a webhook request is unanswered, so the crash lands mid-batch.
    await until(
      'a request in flight',
      () => standIns.webhook.received.some((r) => r.status === undefined),
      30_000,
    )
    first.kill('SIGKILL')
    await new Promise((r) => first.once('exit', r))
    expect(standIns.webhook.uniqueCount()).toBeLessThan(events.length)
    standIns.webhook.script.clear()

    const second = startWorkerProcess(file)
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
