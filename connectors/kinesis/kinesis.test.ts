import { randomUUID } from 'node:crypto'
import { pino } from 'pino'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EnrichedEvent } from '../../src/event.ts'
import { SKIP } from '../../src/worker/connector.ts'
import { makeEvent, makeView } from '../../test/fixtures/events.ts'
import { makeAgent, makeBatch, makeContext } from '../../test/fixtures/send-context.ts'
import { isRecord, parseJson, type StandIn, startStandIn } from '../../test/stand-ins/recorder.ts'
import { CONFIG_RETRY_MS } from '../aws/outcomes.ts'
import { acceptsSettings, settingsFrom } from '../aws/testing.ts'
import kinesis, {
  DEFAULT_MAX_RECORD_BYTES,
  DEFAULT_MAX_REQUEST_BYTES,
  type KinesisResources,
  type KinesisSettings,
  kinesisRecordBytes,
  settingsSchema,
} from './index.ts'
import { type Kinesalite, startKinesalite, TEST_AWS } from './testing.ts'

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
      exclude_types: [],
    })
  })

  it('sends the enriched event unchanged as JSON, keyed by view_id (or the configured field)', () => {
    const event = makeEvent({ type: 'buffer_start' })
    const record = kinesis.transform(event, settings())
    expect(record).toEqual({ data: JSON.stringify(event), partitionKey: event.view_id })
    expect(kinesis.transform(event, settings({ partition_key: 'session_id' }))).toMatchObject({
      partitionKey: event.session_id,
    })
    expect(kinesis.transform(event, settings({ exclude_types: ['buffer_start'] }))).toBe(SKIP)
    expect(kinesis.dedupeKey(event)).toBe(event.event_id)
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

interface KinesisProxy extends StandIn {
  /** The next PutRecords request fails the records at these positions with these error codes. */
  failRecordsOfNextRequest(failures: Record<number, string>): void
}

/**
 * A fault layer in front of kinesalite, which has no throttling and no partial failures: records chosen by
 * the test are answered with a per-record ErrorCode and not forwarded (so they are really not stored), the
 * others go to kinesalite. It also enforces the request limit kinesalite lacks: more than 5 MiB of data and
 * partition keys → 400 InvalidArgumentException "Records size exceeds 5 MB limit".
 */
async function startFaultProxy(target: string): Promise<KinesisProxy> {
  const pending: Map<number, string>[] = []
  const base = await startStandIn({
    faultBody: (status) =>
      status >= 500
        ? { __type: 'InternalFailureException', message: 'Internal Service Failure' }
        : { __type: 'ProvisionedThroughputExceededException', message: 'Rate exceeded for stream events' },
    routes(app) {
      app.post('/', async (req, reply) => {
        const parsed = parseJson(req.body as Buffer)
        const body = parsed.ok && isRecord(parsed.value) ? parsed.value : {}
        const records = Array.isArray(body.Records)
          ? (body.Records as { Data: string; PartitionKey: string }[])
          : []
        const size = records.reduce(
          (sum, r) => sum + Buffer.from(r.Data, 'base64').length + Buffer.byteLength(r.PartitionKey),
          0,
        )
        if (size > 5 * MiB) {
          return reply
            .code(400)
            .send({ __type: 'InvalidArgumentException', message: 'Records size exceeds 5 MB limit' })
        }
        const failures = pending.shift() ?? new Map<number, string>()
        const kept = records.filter((_, i) => !failures.has(i))
        let stored: { FailedRecordCount: number; Records: unknown[] } = { FailedRecordCount: 0, Records: [] }
        if (kept.length > 0) {
          const headers: Record<string, string> = {}
          for (const name of ['content-type', 'x-amz-target', 'x-amz-date', 'authorization']) {
            headers[name] = String(req.headers[name])
          }
          const res = await request(target, {
            method: 'POST',
            headers,
            body: JSON.stringify({ ...body, Records: kept }),
          })
          const text = await res.body.text()
          if (res.statusCode !== 200) return reply.code(res.statusCode).send(text)
          stored = JSON.parse(text)
        }
        let next = 0
        const results = records.map((_, i) => {
          const code = failures.get(i)
          if (code === undefined) return stored.Records[next++]
          const message = code === 'InternalFailure' ? 'Internal Service Failure' : `${code} for shard 0`
          return { ErrorCode: code, ErrorMessage: message }
        })
        return reply
          .header('content-type', 'application/x-amz-json-1.1')
          .send(
            JSON.stringify({ FailedRecordCount: stored.FailedRecordCount + failures.size, Records: results }),
          )
      })
    },
  })
  return {
    ...base,
    failRecordsOfNextRequest(failures) {
      pending.push(new Map(Object.entries(failures).map(([i, code]) => [Number(i), code])))
    },
  }
}

describe('kinesis send against kinesalite', () => {
  const log = pino({ level: 'silent' })
  const agent = makeAgent()
  let server: Kinesalite
  let proxy: KinesisProxy
  let viaProxy: KinesisSettings
  let resources: KinesisResources

  beforeAll(async () => {
    server = await startKinesalite()
    proxy = await startFaultProxy(server.endpoint)
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

  it('retries only the records with a per-record ErrorCode; resending them stores each event once', async () => {
    const stream = await newStream()
    const config = { ...viaProxy, stream_name: stream }
    const events = makeView(6)
    proxy.failRecordsOfNextRequest({ 1: 'ProvisionedThroughputExceededException', 4: 'InternalFailure' })
    const outcomes = await send(config, events)
    expect(outcomes.map((o) => o.kind)).toEqual([
      'delivered',
      'retry',
      'delivered',
      'delivered',
      'retry',
      'delivered',
    ])
    expect(outcomes[1]).toMatchObject({
      reason: expect.stringContaining('ProvisionedThroughputExceededException'),
    })
    expect(outcomes[1]).not.toHaveProperty('afterMs')
    expect((await stored(stream)).length).toBe(4)

    const again = await send(config, [events[1], events[4]] as EnrichedEvent[])
    expect(again.map((o) => o.kind)).toEqual(['delivered', 'delivered'])
    const ids = (await stored(stream)).map((r) => r.event.event_id).sort()
    expect(ids).toEqual(events.map((e) => e.event_id).sort())
  })

  it('maps whole-request errors: throttling and 5xx retry, a missing stream pauses, network errors throw', async () => {
    const stream = await newStream(1)
    const config = { ...viaProxy, stream_name: stream }
    proxy.script.failNext(1, 400)
    const throttled = await send(config, makeView(3))
    expect(throttled).toEqual(
      Array.from({ length: 3 }, () => expect.objectContaining({ kind: 'retry', status: 400 })),
    )
    expect(throttled[0]?.kind === 'retry' && throttled[0].reason).toMatch(
      /^ProvisionedThroughputExceededException/,
    )

    proxy.script.failNext(1, 500)
    expect((await send(config, makeView(2))).map((o) => o.kind)).toEqual(['retry', 'retry'])

    const missing = await send({ ...config, stream_name: 'no-such-stream' }, makeView(2))
    expect(missing[0]).toMatchObject({ kind: 'retry', afterMs: CONFIG_RETRY_MS, status: 400 })
    expect(missing[0]?.kind === 'retry' && missing[0].reason).toMatch(/^ResourceNotFoundException/)

    proxy.script.resetNext(1)
    await expect(send(config, makeView(2))).rejects.toThrow()
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
