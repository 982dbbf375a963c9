import { randomUUID } from 'node:crypto'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EnrichedEvent } from '../../src/event.ts'
import { kindsAt } from '../../test/fixtures/connector-results.ts'
import { makeEvent, makeView } from '../../test/fixtures/events.ts'
import { makeAgent, makeBatch, makeContext } from '../../test/fixtures/send-context.ts'
import { awsJsonError } from '../../test/stand-ins/aws-faults.ts'
import { RESOURCE_RETRY_MS } from '../aws/outcomes.ts'
import { acceptsSettings, pausedForCredentials, settingsFrom } from '../aws/testing.ts'
import kinesis, {
  DEFAULT_MAX_RECORD_BYTES,
  DEFAULT_MAX_REQUEST_BYTES,
  type KinesisResources,
  type KinesisSettings,
  kinesisRecordBytes,
  settingsSchema,
} from './index.ts'
import {
  type Kinesalite,
  type KinesisProxy,
  startKinesalite,
  startKinesisProxy,
  TEST_AWS,
} from './testing.ts'

const MiB = 1024 * 1024

function settings(overrides: Record<string, unknown> = {}): KinesisSettings {
  return settingsFrom(settingsSchema, { ...TEST_AWS, stream_name: 'events', ...overrides })
}

describe('kinesis settings and transform', () => {
  it('needs a region and a stream name or ARN; static credentials come as a pair', () => {
    expect(acceptsSettings(settingsSchema, { region: 'eu-west-1' })).toBe(false)
    expect(acceptsSettings(settingsSchema, { stream_name: 'events' })).toBe(false)
    expect(
      acceptsSettings(settingsSchema, {
        region: 'eu-west-1',
        stream_arn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/events',
      }),
    ).toBe(true)
    expect(
      acceptsSettings(settingsSchema, { region: 'eu-west-1', stream_name: 'events', access_key_id: 'AKID' }),
    ).toBe(false)
    expect(
      acceptsSettings(settingsSchema, { region: 'eu-west-1', stream_name: 'events', max_records: 501 }),
    ).toBe(false)
    expect(settings()).toMatchObject({
      partition_key: 'view_id',
      max_records: 500,
      max_request_bytes: 5 * MiB,
      max_record_bytes: MiB,
    })
  })

  it('sends the enriched event unchanged as JSON, keyed by view_id (or the configured field)', () => {
    const event = makeEvent({ type: 'buffer_start' })
    const record = kinesis.transform(event, settings())
    expect(record).toEqual({ data: JSON.stringify(event), partitionKey: event.view_id })
    expect(kinesis.transform(event, settings({ partition_key: 'session_id' }))).toMatchObject({
      partitionKey: event.session_id,
    })
  })

  it('counts the partition key in the record size and keeps requests within 500 records / 5 MiB', () => {
    expect(kinesisRecordBytes({ data: 'ab€', partitionKey: 'k1' })).toBe(7)
    expect(kinesis.limits(settings())).toEqual({ maxItems: 500, maxBytes: DEFAULT_MAX_REQUEST_BYTES })
    expect(kinesis.limits(settings({ max_request_bytes: 10 * MiB, max_records: 100 }))).toEqual({
      maxItems: 100,
      maxBytes: 10 * MiB,
    })
  })
})

describe('kinesis send against kinesalite', () => {
  const log = pino({ level: 'silent' })
  const agent = makeAgent()
  let server: Kinesalite
  let proxy: KinesisProxy
  let viaProxy: KinesisSettings
  let resources: KinesisResources

  beforeAll(async () => {
    server = await startKinesalite()
    proxy = await startKinesisProxy(server.endpoint)
    viaProxy = settings({ endpoint: proxy.url })
    resources = (await kinesis.open?.(viaProxy, { log, name: 'kinesis' })) as KinesisResources
  })
  afterAll(async () => {
    if (resources) await kinesis.close?.(resources)
    await proxy?.close()
    await server?.close()
    await agent.close()
  })

  async function newStream(shards = 2): Promise<string> {
    const name = `events-${randomUUID().slice(0, 8)}`
    await server.createStream(name, shards)
    return name
  }

  function send(config: KinesisSettings, events: EnrichedEvent[]) {
    const batch = makeBatch(kinesis, config, events)
    return kinesis.send(batch, makeContext(config, agent, { resources }))
  }

  async function stored(stream: string) {
    return (await server.readStream(stream)).map((r) => ({
      ...r,
      event: JSON.parse(r.data) as EnrichedEvent,
    }))
  }

  it('puts every event as one record keyed by its view, readable back from the stream', async () => {
    const stream = await newStream(4)
    const events = [...makeView(12), ...makeView(8)]
    const outcomes = await send({ ...viaProxy, stream_name: stream }, events)
    expect(outcomes).toEqual(events.map(() => ({ kind: 'delivered' })))
    const records = await stored(stream)
    expect(records.map((r) => r.event).sort((a, b) => a.event_id.localeCompare(b.event_id))).toEqual(
      [...events].sort((a, b) => a.event_id.localeCompare(b.event_id)),
    )
    for (const r of records) expect(r.partitionKey).toBe(r.event.view_id)
    // One view, one shard, in order.
    const firstView = records.filter((r) => r.event.view_id === events[0]?.view_id)
    expect(new Set(firstView.map((r) => r.shardId)).size).toBe(1)
    expect(firstView.map((r) => r.event.seq)).toEqual([...Array(12).keys()])
  })

  it('plans exactly the PutRecords input send puts, without a client', async () => {
    const stream = await newStream(1)
    const config = { ...viaProxy, stream_name: stream }
    const events = makeView(3)
    const [call] = await kinesis.plan(makeBatch(kinesis, config, events), config)
    expect(call?.kind === 'sdk' && call.params).toEqual({
      StreamName: stream,
      Records: events.map((e) => ({ Data: JSON.stringify(e), PartitionKey: e.view_id })),
    })
    expect(call).toMatchObject({
      kind: 'sdk',
      client: '@aws-sdk/client-kinesis',
      operation: 'PutRecords',
      target: `stream/${stream} via ${proxy.url}`,
    })
    await send(config, events)
    const wire = JSON.parse(proxy.received.at(-1)?.rawBody.toString('utf8') ?? '{}')
    expect(wire.Records.map((r: { Data: string }) => Buffer.from(r.Data, 'base64').toString())).toEqual(
      events.map((e) => JSON.stringify(e)),
    )
    expect(wire.StreamName).toBe(stream)
  })

  it('retries the records with either documented per-record ErrorCode, with the runtime backoff', async () => {
    const stream = await newStream()
    const codes: Record<number, string> = {
      1: 'ProvisionedThroughputExceededException',
      4: 'InternalFailure',
    }
    proxy.failNextRecords(({ index }) => codes[index])
    const outcomes = await send({ ...viaProxy, stream_name: stream }, makeView(6))
    expect(outcomes.map((o) => o.kind)).toEqual(kindsAt(6, { 1: 'retry', 4: 'retry' }))
    expect(outcomes[1]).toEqual({
      kind: 'retry',
      reason: 'ProvisionedThroughputExceededException: ProvisionedThroughputExceededException for shard 0',
    })
    expect(outcomes[4]).toEqual({ kind: 'retry', reason: 'InternalFailure: Internal Service Failure' })
    expect((await stored(stream)).length).toBe(4)
  })

  it('reads the error code, not the status: denied access pauses, a missing stream retries slowly', async () => {
    const stream = await newStream(1)
    const config = { ...viaProxy, stream_name: stream }
    // AWS answers AccessDeniedException and ExpiredTokenException with HTTP 400 (CommonErrors).
    proxy.script.failNext(
      1,
      400,
      awsJsonError('AccessDeniedException', 'not authorized to perform: kinesis:PutRecords'),
    )
    proxy.script.failNext(
      1,
      400,
      awsJsonError('ExpiredTokenException', 'The security token included in the request is expired'),
    )
    for (const code of ['AccessDeniedException', 'ExpiredTokenException']) {
      const denied = await send(config, makeView(2))
      expect(denied).toEqual(pausedForCredentials(2, 400, code))
    }
    // kinesalite's own answer for an unknown stream.
    const missing = await send({ ...config, stream_name: 'no-such-stream' }, makeView(2))
    expect(missing[0]).toMatchObject({ kind: 'retry', afterMs: RESOURCE_RETRY_MS, status: 400 })
    expect(missing[0]?.kind === 'retry' && missing[0].reason).toMatch(/^ResourceNotFoundException/)
    // A throttled request without a wait hint leaves the wait to the runtime's backoff.
    proxy.script.failNext(1, 400, awsJsonError('ProvisionedThroughputExceededException', 'Rate exceeded'))
    const throttled = await send(config, makeView(1))
    expect(throttled[0]).toMatchObject({ kind: 'retry', status: 400 })
    expect(throttled[0]).not.toHaveProperty('afterMs')
    expect(await stored(stream)).toEqual([])
  })

  it('rejects a record over the stream limit without sending it, and splits requests refused for size', async () => {
    const stream = await newStream(1)
    const config = { ...viaProxy, stream_name: stream, max_request_bytes: 10 * MiB }
    const big = (n: number) => makeEvent({ custom: { blob: 'x'.repeat(n) } })
    const tooBig = big(DEFAULT_MAX_RECORD_BYTES)
    const events = [big(900_000), tooBig, ...Array.from({ length: 5 }, () => big(900_000))]
    const before = proxy.received.length
    const outcomes = await send(config, events)
    expect(outcomes[1]).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('record limit') })
    expect(outcomes.filter((o) => o.kind === 'delivered')).toHaveLength(6)
    // 6 × 0.9 MB is over 5 MiB: refused whole (400), then sent as 3 + 3.
    expect(proxy.received.slice(before).map((r) => r.status)).toEqual([400, 200, 200])
    const ids = (await stored(stream)).map((r) => r.event.event_id)
    expect(ids).not.toContain(tooBig.event_id)
    expect(ids).toHaveLength(6)
  })

  it('rejects only the record kinesalite refuses (ValidationException), after splitting', async () => {
    const stream = await newStream(1)
    const config = { ...viaProxy, stream_name: stream, partition_key: 'event_id' as const }
    // Kinesis partition keys are at most 256 characters.
    const events = [makeEvent(), makeEvent({ event_id: 'k'.repeat(300) }), makeEvent()]
    const outcomes = await send(config, events)
    expect(outcomes.map((o) => o.kind)).toEqual(['delivered', 'rejected', 'delivered'])
    expect(outcomes[1]).toMatchObject({ status: 400, reason: expect.stringMatching(/^ValidationException/) })
    expect((await stored(stream)).length).toBe(2)
  })

  it('splits a batch the server refuses with 413', async () => {
    const stream = await newStream(1)
    proxy.script.failNext(1, 413, { body: '' })
    const outcomes = await send({ ...viaProxy, stream_name: stream }, makeView(4))
    expect(outcomes.map((o) => o.kind)).toEqual(['delivered', 'delivered', 'delivered', 'delivered'])
    expect((await stored(stream)).length).toBe(4)
  })
})
