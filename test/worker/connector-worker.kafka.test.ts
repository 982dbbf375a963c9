import { randomUUID } from 'node:crypto'
import { PassThrough } from 'node:stream'
import { Type } from '@sinclair/typebox'
import { pino } from 'pino'
import { request } from 'undici'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import type { Bus } from '../../src/bus/bus.ts'
import { createKafkaBus } from '../../src/bus/kafka-bus.ts'
import { connectorConfig } from '../../src/config/schema.ts'
import type { ConnectorInput } from '../../src/config/types.ts'
import type { EnrichedEvent } from '../../src/event.ts'
import { defineConnector } from '../../src/worker/connector.ts'
import type { AnyConnector } from '../../src/worker/connector-worker.ts'
import { inspectDeadLetters, replayDeadLetters } from '../../src/worker/dlq-tools.ts'
import { outcomeForStatus, outcomesForAll, readBody } from '../../src/worker/http-outcome.ts'
import { startWorkers, type WorkerGroup } from '../../src/worker/worker-group.ts'
import { makeEvent } from '../fixtures/events.ts'
import { type StandIn, startStandIn } from '../stand-ins/recorder.ts'

/**
 * The runtime against the real broker: a tiny connector POSTs `[{id, type}]` to a local stand-in that
 * answers 200 with one status per item (`{"results":[200,400,…]}`), or a scripted fault for the request.
 */

const testConnector = defineConnector<{ url: string }, { id: string; type: string }>({
  type: 'test-http',
  description: 'POSTs items to a test server that answers one status per item.',
  settingsSchema: Type.Object({}),
  limits: () => ({ maxItems: 50, maxBytes: 100_000 }),
  plan: async () => [],
  transform: (event) => ({ id: event.event_id, type: event.type }),
  async send(batch, ctx) {
    const response = await request(`${ctx.settings.url}/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batch.map((item) => item.record)),
      dispatcher: ctx.http,
      signal: ctx.signal,
    })
    const body = await readBody(response.body)
    if (response.statusCode !== 200) {
      return outcomesForAll(
        batch.length,
        outcomeForStatus({ status: response.statusCode, body, headers: response.headers }),
      )
    }
    const { results } = JSON.parse(body) as { results: number[] }
    return results.map((status) =>
      outcomeForStatus({ status, body: `{"error":"item refused with ${status}"}` }),
    )
  },
})
const connectors = { 'test-http': testConnector as unknown as AnyConnector }

const logger = pino({ level: 'silent' })
let bus: Bus
let destination: StandIn
/** event_id of every item the destination accepted, duplicates included. */
let accepted: string[]
/** Types the destination refuses with 400. */
let refusedTypes: Set<string>
let groups: WorkerGroup[]

beforeEach(async () => {
  bus = createKafkaBus({ brokers: inject('kafkaBrokers'), clientId: 'worker-test', logger })
  accepted = []
  refusedTypes = new Set(['poison'])
  groups = []
  destination = await startStandIn({
    routes(app) {
      app.post('/ingest', async (req) => {
        const items = JSON.parse((req.body as Buffer).toString()) as { id: string; type: string }[]
        const results = items.map((item) => (refusedTypes.has(item.type) ? 400 : 200))
        accepted.push(...items.filter((item) => !refusedTypes.has(item.type)).map((item) => item.id))
        return { results }
      })
    },
  })
})

afterEach(async () => {
  await Promise.all(groups.map((group) => group.stop()))
  await destination.close()
  await bus.close()
})

/** A fresh events topic and dead-letter prefix, so tests never see each other's records. */
async function setup(overrides: Partial<ConnectorInput> = {}) {
  const id = randomUUID()
  const connector = connectorConfig({
    name: `it-${id.slice(0, 8)}`,
    type: 'test-http',
    settings: { url: destination.url },
    batching: { linger_ms: 20, max_in_flight: 2 },
    retry: {
      max_attempts: 50,
      max_elapsed_ms: 60_000,
      initial_backoff_ms: 50,
      max_backoff_ms: 200,
      request_timeout_ms: 2000,
    },
    circuit_breaker: { failure_threshold: 5, open_ms: 300 },
    max_buffered_records: 100,
    ...overrides,
  })
  const config = {
    topics: {
      events: `fw.test.events.${id}`,
      invalid: `fw.test.invalid.${id}`,
      dlq_prefix: `fw.test.dlq.${id}.`,
    },
    bus: { type: 'kafka' as const, path: '', partitions: 2, retention_hours: 1, retention_bytes: 1 },
    kafka: {
      brokers: inject('kafkaBrokers'),
      client_id: 'worker-test',
      group_prefix: `fw.test.${id}.`,
      partitions: 2,
      replication_factor: 1,
      min_insync_replicas: 1,
    },
    connectors: [connector],
  }
  await bus.ensureTopics([{ topic: config.topics.events, partitions: 2, replicationFactor: 1 }])
  const start = async () => {
    const group = await startWorkers({ config, bus, logger, connectors, drainMs: 2000 })
    groups.push(group)
    return group
  }
  const append = async (events: EnrichedEvent[]) => {
    await bus.append(
      events.map((event) => ({
        topic: config.topics.events,
        key: event.view_id,
        value: Buffer.from(JSON.stringify(event)),
      })),
    )
    return events.map((event) => event.event_id)
  }
  return { config, connector, start, append }
}

const events = (n: number, type = 'playing') => Array.from({ length: n }, () => makeEvent({ type }))
const sorted = (ids: string[]) => [...ids].sort()
const quickRead = { idleMs: 1000, firstRecordTimeoutMs: 5000 }

describe('connector worker on Kafka', () => {
  it('delivers the records appended to the events topic', async () => {
    const { start, append } = await setup()
    await start()
    const ids = await append(events(30))
    await expect.poll(() => sorted(accepted), { timeout: 30_000 }).toEqual(sorted(ids))
  })

  it('gets everything to a destination that fails for a while, then recovers', async () => {
    const { start, append } = await setup()
    destination.script.failFor(2000, 503)
    await start()
    const ids = await append(events(30))
    await expect.poll(() => new Set(accepted).size, { timeout: 30_000 }).toBe(30)
    expect(sorted([...new Set(accepted)])).toEqual(sorted(ids))
    expect(destination.received.some((req) => req.status === 503)).toBe(true)
  })

  it('dead-letters an item the destination keeps refusing, with the reason, and replays it once fixed', async () => {
    const { config, connector, start, append } = await setup()
    const group = await start()
    const [poisonId] = await append([makeEvent({ type: 'poison' })])
    const good = await append(events(5))
    await expect.poll(() => sorted(accepted), { timeout: 30_000 }).toEqual(sorted(good))

    const context = { config, bus, logger, out: new PassThrough() }
    await expect
      .poll(async () => (await inspectDeadLetters(connector.name, context, quickRead)).length, {
        timeout: 30_000,
      })
      .toBe(1)
    const [dead] = await inspectDeadLetters(connector.name, context, quickRead)
    expect(dead?.entry).toMatchObject({
      reason: 'rejected',
      status: 400,
      attempts: 1,
      dedupe_key: poisonId,
      connector: { name: connector.name, type: 'test-http' },
      body_excerpt: '{"error":"item refused with 400"}',
    })
    expect(dead?.entry.event?.event_id).toBe(poisonId)

    // The live worker is not needed for a replay.
    await group.stop()
    refusedTypes.clear()
    const summary = await replayDeadLetters(connector.name, { ...context, connectors }, quickRead)
    expect(summary).toEqual({ replayed: 1, delivered: 1, failedAgain: 0, skipped: 0 })
    expect(accepted).toContain(poisonId)
    // The replay group remembers how far it got: nothing is replayed twice.
    const again = await replayDeadLetters(connector.name, { ...context, connectors }, quickRead)
    expect(again.replayed).toBe(0)
  })

  it('commits only records with a final outcome: stopped mid-way and restarted, nothing is lost', async () => {
    const { start, append } = await setup()
    const first = await start()
    const delivered = await append(events(10))
    await expect.poll(() => accepted.length, { timeout: 30_000 }).toBe(10)

    // The destination goes down; the worker stops while the next records are still being retried.
    destination.script.failAlways(503)
    const pending = await append(events(10))
    const before = destination.received.length
    await expect.poll(() => destination.received.length - before, { timeout: 30_000 }).toBeGreaterThan(2)
    await first.stop()

    destination.script.clear()
    await start()
    await expect
      .poll(() => sorted([...new Set(accepted)]), { timeout: 30_000 })
      .toEqual(sorted([...delivered, ...pending]))
    // What was delivered before the stop was committed, so it is not sent again.
    for (const id of delivered) expect(accepted.filter((candidate) => candidate === id)).toHaveLength(1)
  })
})
