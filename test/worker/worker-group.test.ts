import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { connectorTypes } from '../../connectors/index.ts'
import type { Bus } from '../../src/bus/bus.ts'
import { createBus, topicSpec } from '../../src/bus/create-bus.ts'
import type { ConnectorConfig } from '../../src/config/types.ts'
import { startWorkers, type WorkerGroup } from '../../src/worker/worker-group.ts'
import { until } from '../e2e/harness.ts'
import { makeEvent } from '../fixtures/events.ts'
import { silentLogger, testConfig } from '../helpers/pipeline.ts'
import { startWebhookStandIn, type WebhookStandIn } from '../stand-ins/webhook.ts'

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close()
})

const webhook = (url: string, version: string) =>
  `  - name: a\n    type: webhook\n    settings: { url: ${url}, headers: { x-version: ${version} } }\n`

/** A running group with connector `a` on the webhook stand-in, on an embedded bus that can fail subscribes. */
async function startGroup() {
  const hook = await startWebhookStandIn()
  const config = testConfig(`connectors:\n${webhook(hook.endpoint, 'one')}`, {}, 'embedded')
  const bus = createBus(config, silentLogger)
  await bus.ensureTopics([topicSpec(config, config.topics.events)])
  let failSubscribes = 0
  const faulty: Bus = {
    ...bus,
    subscribe(options) {
      if (failSubscribes === 0) return bus.subscribe(options)
      failSubscribes--
      return Promise.reject(new Error('subscribe refused'))
    },
  }
  const group = await startWorkers({ config, bus: faulty, logger: silentLogger, connectors: connectorTypes })
  cleanup.push(
    () => hook.close(),
    () => bus.close(),
    () => group.stop(),
  )
  const publish = async (count: number) => {
    const events = Array.from({ length: count }, () => makeEvent({ received_at: Date.now() }))
    await bus.append(
      events.map((e) => ({
        topic: config.topics.events,
        key: e.session_id,
        value: Buffer.from(JSON.stringify(e)),
      })),
    )
  }
  return { hook, group, publish, failNextSubscribe: () => failSubscribes++ }
}

/** A new config for connector `a`, from its `connectors:` entry. */
const connectorOf = (entry: string) =>
  testConfig(`connectors:\n${entry}`, {}, 'embedded').connectors[0] as ConnectorConfig

/** The stand-in's count of events sent with this `x-version` header. */
const deliveredBy = (hook: WebhookStandIn, version: string) =>
  hook.events.filter((e) => e.request?.headers['x-version'] === version).length

async function deliversMore(hook: WebhookStandIn, version: string, publish: (n: number) => Promise<void>) {
  const before = deliveredBy(hook, version)
  await publish(10)
  await until(
    `10 more events from config ${version}`,
    () => deliveredBy(hook, version) >= before + 10,
    10_000,
  )
}

const runningVersion = (group: WorkerGroup) =>
  (group.configs()[0]?.settings as { headers?: Record<string, string> } | undefined)?.headers?.['x-version']

it('a replacement whose open() fails leaves the old worker consuming and recorded as running', async () => {
  const { hook, group, publish } = await startGroup()
  await deliversMore(hook, 'one', publish)
  // A path below a regular file: the file connector's open() cannot create its directory.
  const dir = mkdtempSync(join(tmpdir(), 'fw-group-'))
  writeFileSync(join(dir, 'blocker'), '')
  const file = `  - name: a\n    type: file\n    settings: { path: ${join(dir, 'blocker', 'events.jsonl')} }\n`
  await expect(group.replace(connectorOf(file))).rejects.toThrow(/ENOTDIR|EEXIST/)
  expect(group.configs().map((c) => c.type)).toEqual(['webhook'])
  expect(group.status()).toMatchObject([{ name: 'a', state: 'running' }])
  await deliversMore(hook, 'one', publish)
})

it('a replacement that fails to subscribe after the old worker stopped brings the old config back', async () => {
  const { hook, group, publish, failNextSubscribe } = await startGroup()
  await deliversMore(hook, 'one', publish)
  failNextSubscribe()
  await expect(group.replace(connectorOf(webhook(hook.endpoint, 'two')))).rejects.toThrow('subscribe refused')
  expect(runningVersion(group)).toBe('one')
  await deliversMore(hook, 'one', publish)
  expect(deliveredBy(hook, 'two')).toBe(0)
  // The next attempt applies it: the record of what runs still says `one`, so a reload retries.
  await group.replace(connectorOf(webhook(hook.endpoint, 'two')))
  expect(runningVersion(group)).toBe('two')
  await deliversMore(hook, 'two', publish)
  expect(hook.duplicateCount()).toBe(0)
})

it('remove stops the worker and drops it from what runs', async () => {
  const { hook, group, publish } = await startGroup()
  await deliversMore(hook, 'one', publish)
  await group.remove('a')
  expect(group.configs()).toEqual([])
  const delivered = hook.uniqueCount()
  await publish(10)
  await new Promise((r) => setTimeout(r, 500))
  expect(hook.uniqueCount()).toBe(delivered)
})
