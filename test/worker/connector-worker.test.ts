import { Type } from '@sinclair/typebox'
import { afterEach, describe, expect, it } from 'vitest'
import { connectorConfig } from '../../src/config/schema.ts'
import type { ConnectorConfig, ConnectorInput } from '../../src/config/types.ts'
import { registry } from '../../src/observability/metrics.ts'
import type { BatchItem, Outcome } from '../../src/worker/connector.ts'
import { SKIP } from '../../src/worker/connector.ts'
import type { AnyConnector } from '../../src/worker/connector-worker.ts'
import { ConnectorDisabledError } from '../../src/worker/http-outcome.ts'
import { makeEvent } from '../fixtures/events.ts'
import { startHandWorker, stopHandWorkers } from '../helpers/hand-worker.ts'

type Send = (batch: BatchItem<unknown>[], signal: AbortSignal) => Promise<Outcome[]>

function connectorWith(send: Send): AnyConnector {
  return {
    type: 'test',
    description: 'test connector',
    settingsSchema: Type.Object({}),
    limits: () => ({ maxItems: 10, maxBytes: 1_000_000 }),
    transform(event) {
      if (event.type === 'heartbeat') return SKIP
      if (event.type === 'poison') throw new Error('cannot map poison')
      return { id: event.event_id }
    },
    plan: async () => [],
    send: (batch, ctx) => send(batch, ctx.signal),
  }
}

const config = (overrides: Partial<ConnectorInput> = {}): ConnectorConfig =>
  connectorConfig({
    name: 'unit',
    type: 'test',
    settings: {},
    batching: { linger_ms: 5, max_in_flight: 2 },
    retry: {
      max_attempts: 3,
      max_elapsed_ms: 60_000,
      initial_backoff_ms: 10,
      max_backoff_ms: 20,
      request_timeout_ms: 500,
    },
    circuit_breaker: { failure_threshold: 100, open_ms: 1000 },
    max_buffered_records: 100,
    ...overrides,
  })

function start(send: Send, overrides: Partial<ConnectorInput> = {}, probeMs?: number) {
  return startHandWorker({ config: config(overrides), connector: connectorWith(send), probeMs })
}

const deliverAll: Send = async (batch) => batch.map(() => ({ kind: 'delivered' }))

afterEach(stopHandWorkers)

describe('ConnectorWorker', () => {
  it('delivers records and commits past them', async () => {
    const sent: string[] = []
    const { bus } = await start(async (batch) => {
      sent.push(...batch.map((item) => item.dedupeKey))
      return deliverAll(batch, new AbortController().signal)
    })
    const events = [makeEvent(), makeEvent(), makeEvent()]
    for (const event of events) await bus.feed(event)
    await expect.poll(() => bus.lastCommit).toBe(3n)
    expect(sent).toEqual(events.map((event) => event.event_id))
  })

  it('commits skipped records at once and dead-letters records the transform cannot map', async () => {
    const { bus } = await start(deliverAll)
    const poison = makeEvent({ type: 'poison' })
    await bus.feed(makeEvent({ type: 'heartbeat' }))
    await bus.feed(poison)
    await bus.feed('not json')
    await expect.poll(() => bus.lastCommit).toBe(3n)
    const [mapped, unparsable] = bus.deadLetters()
    expect(mapped).toMatchObject({ reason: 'transform_error', error: 'cannot map poison', attempts: 0 })
    expect(mapped?.event?.event_id).toBe(poison.event_id)
    expect(unparsable).toMatchObject({ reason: 'transform_error', raw: 'not json' })
    expect(bus.appended[0]?.topic).toBe('fw.dlq.unit')
  })

  it('retries only the items that failed', async () => {
    const batches: string[][] = []
    const { bus } = await start(async (batch) => {
      batches.push(batch.map((item) => item.event.type))
      return batch.map((item) =>
        item.event.type === 'flaky' && batches.length === 1
          ? { kind: 'retry', reason: 'HTTP 503', status: 503 }
          : { kind: 'delivered' },
      )
    })
    for (const type of ['play', 'flaky', 'pause']) await bus.feed(makeEvent({ type }))
    await expect.poll(() => bus.lastCommit).toBe(3n)
    expect(batches).toEqual([['play', 'flaky', 'pause'], ['flaky']])
  })

  it('dead-letters a rejected item with its status and body, and commits only once the append is acknowledged', async () => {
    const { bus } = await start(async (batch) =>
      batch.map((item) =>
        item.event.type === 'bad'
          ? { kind: 'rejected', reason: 'HTTP 400', status: 400, body: '{"error":"bad"}' }
          : { kind: 'delivered' },
      ),
    )
    let acknowledge = () => {}
    bus.appendGate = new Promise((resolve) => {
      acknowledge = resolve
    })
    await bus.feed(makeEvent({ type: 'bad' }))
    await bus.feed(makeEvent())
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(bus.lastCommit).toBeUndefined()
    acknowledge()
    await expect.poll(() => bus.lastCommit).toBe(2n)
    expect(bus.deadLetters()).toEqual([
      expect.objectContaining({
        reason: 'rejected',
        status: 400,
        body_excerpt: '{"error":"bad"}',
        attempts: 1,
      }),
    ])
  })

  it('dead-letters items whose retries are exhausted, with attempts and attempt times', async () => {
    const { bus } = await start(async (batch) =>
      batch.map(() => ({ kind: 'retry', reason: 'HTTP 500', status: 500 })),
    )
    await bus.feed(makeEvent())
    await expect.poll(() => bus.lastCommit).toBe(1n)
    const [entry] = bus.deadLetters()
    expect(entry).toMatchObject({
      reason: 'retries_exhausted',
      status: 500,
      attempts: 3,
      connector: { name: 'unit', type: 'test' },
    })
    expect(entry?.last_attempt_at).toBeGreaterThan(entry?.first_attempt_at ?? Number.POSITIVE_INFINITY)
  })

  it('stops taking records while it holds max_buffered_records', async () => {
    const { bus, worker } = await start(() => new Promise(() => {}), {
      max_buffered_records: 3,
      retry: { ...config().retry, request_timeout_ms: 60_000 },
    })
    for (let i = 0; i < 3; i++) await bus.feed(makeEvent())
    let fourthTaken = false
    void bus.feed(makeEvent()).then(() => {
      fourthTaken = true
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(fourthTaken).toBe(false)
    expect(worker.buffered).toBe(3)
  })

  it('gives up on a send that hangs after request_timeout_ms and retries it', async () => {
    let calls = 0
    const { bus } = await start(
      async (batch, signal) => {
        calls++
        // The first call ignores its signal entirely, like a stuck client library.
        return calls === 1 ? new Promise(() => {}) : deliverAll(batch, signal)
      },
      { retry: { ...config().retry, request_timeout_ms: 50 } },
    )
    await bus.feed(makeEvent())
    await expect.poll(() => bus.lastCommit).toBe(1n)
    expect(calls).toBe(2)
  })

  it('opens the circuit after consecutive failed sends and pauses consumption', async () => {
    const { bus } = await start(async (batch) => batch.map(() => ({ kind: 'retry', reason: 'HTTP 503' })), {
      circuit_breaker: { failure_threshold: 2, open_ms: 60_000 },
      retry: { ...config().retry, max_attempts: 10 },
    })
    await bus.feed(makeEvent())
    await expect.poll(() => bus.paused).toBe(true)
    const metrics = await registry.getSingleMetricAsString('framewire_connector_circuit_state')
    expect(metrics).toContain('framewire_connector_circuit_state{connector="unit"} 1')
  })

  it('stops the connector without committing when the destination is gone', async () => {
    const { bus, worker } = await start(async (batch) => {
      if (batch.some((item) => item.event.type === 'gone'))
        throw new ConnectorDisabledError('HTTP 410', { status: 410 })
      return deliverAll(batch, new AbortController().signal)
    })
    await bus.feed(makeEvent())
    await expect.poll(() => bus.lastCommit).toBe(1n)
    await bus.feed(makeEvent({ type: 'gone' }))
    await expect.poll(() => worker.state).toBe('disabled')
    await bus.feed(makeEvent())
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(bus.lastCommit).toBe(1n)
    expect(bus.appended).toEqual([])
    const metrics = await registry.getSingleMetricAsString('framewire_connector_disabled')
    expect(metrics).toContain('framewire_connector_disabled{connector="unit"} 1')
  })

  it('observes delivery latency from received_at', async () => {
    const { bus } = await start(deliverAll, { name: 'latency' })
    await bus.feed(makeEvent({ received_at: Date.now() - 200 }))
    await expect.poll(() => bus.lastCommit).toBe(1n)
    const metrics = await registry.getSingleMetricAsString('framewire_delivery_latency_seconds')
    expect(metrics).toContain('framewire_delivery_latency_seconds_bucket{le="0.15",connector="latency"} 0')
    expect(metrics).toContain('framewire_delivery_latency_seconds_bucket{le="0.3",connector="latency"} 1')
  })

  it('pauses on refused credentials: holds offsets, dead-letters nothing, probes, then resumes by itself', async () => {
    let refusing = true
    const attempts: number[] = []
    const { bus, worker } = await start(
      async (batch) => {
        attempts.push(Date.now())
        return batch.map(
          (): Outcome =>
            refusing
              ? { kind: 'paused', cause: 'credentials', reason: 'HTTP 401: credentials refused', status: 401 }
              : { kind: 'delivered' },
        )
      },
      // Few attempts allowed: a pause that counted them would dead-letter the record.
      { name: 'paused', retry: { ...config().retry, max_attempts: 2 } },
      100,
    )
    await bus.feed(makeEvent())
    await expect.poll(() => bus.paused).toBe(true)
    const metrics = await registry.getSingleMetricAsString('framewire_connector_paused')
    expect(metrics).toContain('framewire_connector_paused{connector="paused",cause="credentials"} 1')
    // Probes keep coming while the key is refused, one batch at a time, and nothing is dead-lettered.
    await expect.poll(() => attempts.length, { timeout: 3000 }).toBeGreaterThanOrEqual(4)
    expect(bus.appended).toEqual([])
    expect(bus.lastCommit).toBeUndefined()
    for (let i = 1; i < attempts.length; i++) {
      expect((attempts[i] as number) - (attempts[i - 1] as number)).toBeGreaterThanOrEqual(90)
    }
    refusing = false
    await expect.poll(() => bus.lastCommit).toBe(1n)
    expect(bus.paused).toBe(false)
    expect(worker.state).toBe('running')
    expect(await registry.getSingleMetricAsString('framewire_connector_paused')).toContain(
      'framewire_connector_paused{connector="paused",cause="credentials"} 0',
    )
  })

  it('fails loudly, without retrying, when the connector returns the wrong number of outcomes', async () => {
    let calls = 0
    const { bus, worker } = await start(
      async () => {
        calls++
        return [{ kind: 'delivered' }]
      },
      { name: 'broken', batching: { linger_ms: 20, max_in_flight: 1 } },
    )
    await Promise.all([bus.feed(makeEvent()), bus.feed(makeEvent())])
    await expect.poll(() => worker.state).toBe('failed')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(calls).toBe(1)
    expect(bus.lastCommit).toBeUndefined()
    expect(bus.appended).toEqual([])
    expect(await registry.getSingleMetricAsString('framewire_connector_failed')).toContain(
      'framewire_connector_failed{connector="broken"} 1',
    )
  })
})
