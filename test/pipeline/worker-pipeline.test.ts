import { Type } from '@sinclair/typebox'
import { afterEach, describe, expect, it } from 'vitest'
import { connectorConfig } from '../../src/config/schema.ts'
import type { ConnectorConfig, ConnectorInput } from '../../src/config/types.ts'
import type { EnrichedEvent } from '../../src/event.ts'
import { registry } from '../../src/observability/metrics.ts'
import { type CompiledPipeline, compilePipeline } from '../../src/pipeline/compile-pipeline.ts'
import { pipelineMetrics } from '../../src/pipeline/metrics.ts'
import type { BatchItem } from '../../src/worker/connector.ts'
import type { AnyConnector } from '../../src/worker/connector-worker.ts'
import type { DeadLetterEntry } from '../../src/worker/dead-letter.ts'
import { makeEvent } from '../fixtures/events.ts'
import { startHandWorker, stopHandWorkers } from '../helpers/hand-worker.ts'

const sent: BatchItem<unknown>[] = []
const connector: AnyConnector = {
  type: 'test',
  description: 'records what it is given',
  settingsSchema: Type.Object({}),
  limits: () => ({ maxItems: 100, maxBytes: 1_000_000 }),
  plan: async () => [],
  transform: (event) => ({ type: event.type, ip: event.client_ip }),
  async send(batch) {
    sent.push(...batch)
    return batch.map(() => ({ kind: 'delivered' as const }))
  },
}

let connectorCount = 0

function config(pipeline: Partial<ConnectorInput>): ConnectorConfig {
  return connectorConfig({
    name: `hook-${++connectorCount}`,
    type: 'test',
    settings: {},
    batching: { linger_ms: 1, max_in_flight: 2 },
    retry: {
      max_attempts: 2,
      max_elapsed_ms: 1000,
      initial_backoff_ms: 1,
      max_backoff_ms: 2,
      request_timeout_ms: 500,
    },
    circuit_breaker: { failure_threshold: 100, open_ms: 1000 },
    max_buffered_records: 100,
    ...pipeline,
  })
}

function start(cfg: ConnectorConfig, pipeline: CompiledPipeline = compilePipeline(cfg)) {
  return startHandWorker({ config: cfg, connector, pipeline })
}

async function counter(name: string, labels: Record<string, string>): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get()
  const found = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
  return found?.value ?? 0
}

const filtered = (cfg: ConnectorConfig, stage: string) =>
  counter('framewire_connector_filtered_total', { connector: cfg.name, stage })
const capped = (cfg: ConnectorConfig, action: string) =>
  counter('framewire_connector_capped_total', { connector: cfg.name, action })

afterEach(async () => {
  await stopHandWorkers()
  sent.length = 0
})

describe('the pipeline in the connector worker', () => {
  it('sends the pipeline output, settles dropped events as skipped and counts them by stage', async () => {
    const cfg = config({ event_types: ['playing', 'pause'] })
    const { bus } = await start(cfg)
    const kept = makeEvent({ client_ip: '198.51.100.77' })
    await bus.feed(kept)
    await bus.feed(makeEvent({ user: { consent: { analytics: false } } }))
    await bus.feed(makeEvent({ type: 'heartbeat', metrics: {} }))
    await bus.feed(makeEvent({ type: 'pause' }))
    await expect.poll(() => bus.commits.at(-1)).toBe(4n)
    expect(sent.map((item) => item.event.type)).toEqual(['playing', 'pause'])
    // The connector saw the anonymized address, in its record and in the event kept for dead letters.
    expect(sent[0]?.record).toEqual({ type: 'playing', ip: '198.51.100.0' })
    expect(sent[0]?.event.client_ip).toBe('198.51.100.0')
    expect(sent[0]?.dedupeKey).toBe(kept.event_id)
    expect(await filtered(cfg, 'consent')).toBe(1)
    expect(await filtered(cfg, 'routing')).toBe(1)
  })

  it('delay cap: the consumer waits for tokens (backpressure) and everything is delivered', async () => {
    const cfg = config({ cap: { events_per_second: 20, burst: 2, action: 'delay' } })
    const { bus } = await start(cfg, compilePipeline(cfg, { metrics: pipelineMetrics(cfg.name) }))
    const started = Date.now()
    const took: number[] = []
    for (let i = 0; i < 6; i++) {
      await bus.feed(makeEvent())
      took.push(Date.now() - started)
    }
    // Two from the burst at once, then one every 50 ms.
    expect(took[1]).toBeLessThan(40)
    expect(took[5]).toBeGreaterThanOrEqual(150)
    await expect.poll(() => bus.commits.at(-1)).toBe(6n)
    expect(sent).toHaveLength(6)
    expect(await capped(cfg, 'delay')).toBeGreaterThan(0)
  })

  it('drop cap: events past the cap are skipped and counted', async () => {
    const cfg = config({ cap: { events_per_second: 1, burst: 3, action: 'drop' } })
    const { bus } = await start(cfg, compilePipeline(cfg, { metrics: pipelineMetrics(cfg.name) }))
    for (let i = 0; i < 10; i++) await bus.feed(makeEvent())
    await expect.poll(() => bus.commits.at(-1)).toBe(10n)
    expect(sent).toHaveLength(3)
    expect(await capped(cfg, 'drop')).toBe(7)
    expect(await filtered(cfg, 'cap')).toBe(7)
  })

  it('a record waiting for cap tokens when the worker stops stays uncommitted', async () => {
    const cfg = config({ cap: { events_per_second: 0.1, burst: 1, action: 'delay' } })
    const { bus, worker } = await start(cfg)
    await bus.feed(makeEvent())
    const waiting = bus.feed(makeEvent())
    await new Promise((r) => setTimeout(r, 50))
    const stopped = Date.now()
    await worker.stop(1000)
    await waiting
    expect(Date.now() - stopped).toBeLessThan(900)
    expect(bus.commits.at(-1)).toBe(1n)
    expect(sent).toHaveLength(1)
  })

  it('dead-letters the raw record, never the unprocessed event, when a stage throws', async () => {
    const cfg = config({})
    const broken: CompiledPipeline = {
      stages: ['privacy'],
      cap: undefined,
      run(): EnrichedEvent | null {
        throw new Error('stage bug')
      },
    }
    const { bus } = await start(cfg, broken)
    await bus.feed(makeEvent({ client_ip: '198.51.100.77' }))
    await expect.poll(() => bus.appended.length).toBe(1)
    const entry = JSON.parse(String(bus.appended[0]?.value)) as DeadLetterEntry
    expect(entry).toMatchObject({ reason: 'transform_error', error: 'stage bug' })
    expect(entry.event).toBeUndefined()
    expect(entry.raw).toContain('198.51.100.77')
  })
})
