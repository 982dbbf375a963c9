import {
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchInput,
} from '@aws-sdk/client-firehose'
import { pino } from 'pino'
import { request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { EnrichedEvent } from '../../src/event.ts'
import { makeEvent, makeView } from '../../test/fixtures/events.ts'
import { makeAgent, makeBatch, makeContext } from '../../test/fixtures/send-context.ts'
import { type FirehoseStandIn, startFirehoseStandIn } from '../../test/stand-ins/firehose.ts'
import { awsClientConfig } from '../aws/client-options.ts'
import { RESOURCE_RETRY_MS } from '../aws/outcomes.ts'
import { acceptsSettings, pausedForCredentials, settingsFrom } from '../aws/testing.ts'
import firehose, {
  type FirehoseResources,
  type FirehoseSettings,
  MAX_RECORD_BYTES,
  MAX_REQUEST_BYTES,
  settingsSchema,
} from './index.ts'

const CREDENTIALS = { access_key_id: 'AKIDFIREHOSETEST01', secret_access_key: 'firehose-test-secret' }
const REGION = 'eu-west-1'
const STREAM = 'player-events'
const log = pino({ level: 'silent' })

function settings(overrides: Record<string, unknown> = {}): FirehoseSettings {
  return settingsFrom(settingsSchema, {
    ...CREDENTIALS,
    region: REGION,
    delivery_stream_name: STREAM,
    ...overrides,
  })
}

describe('firehose settings and transform', () => {
  it('needs a stream and a region, and keeps the limits at most at Firehose’s', () => {
    expect(acceptsSettings(settingsSchema, { region: REGION })).toBe(false)
    expect(acceptsSettings(settingsSchema, { delivery_stream_name: STREAM })).toBe(false)
    expect(acceptsSettings(settingsSchema, { region: REGION, delivery_stream_name: STREAM })).toBe(true)
    expect(acceptsSettings(settingsSchema, { region: REGION, delivery_stream_name: 'a b' })).toBe(false)
    expect(
      acceptsSettings(settingsSchema, {
        region: REGION,
        delivery_stream_name: STREAM,
        max_request_bytes: MAX_REQUEST_BYTES + 1,
      }),
    ).toBe(false)
    expect(settings()).toMatchObject({
      max_records: 500,
      max_request_bytes: 4 * 1024 * 1024,
      max_record_bytes: 1_024_000,
    })
    expect(firehose.limits(settings())).toEqual({ maxItems: 500, maxBytes: MAX_REQUEST_BYTES })
  })

  it('sends each enriched event as one line of JSON ending with a newline', () => {
    const event = makeEvent({ type: 'heartbeat' })
    expect(firehose.transform(event, settings())).toBe(`${JSON.stringify(event)}\n`)
    expect(firehose.recordBytes?.('é\n')).toBe(3)
  })
})

describe('firehose stand-in contract', () => {
  let standIn: FirehoseStandIn
  beforeAll(async () => {
    standIn = await startFirehoseStandIn({ ...toKeys(CREDENTIALS), region: REGION, streams: [STREAM] })
  })
  afterAll(() => standIn?.close())

  function toKeys(c: typeof CREDENTIALS) {
    return { accessKeyId: c.access_key_id, secretAccessKey: c.secret_access_key }
  }

  async function put(input: Partial<PutRecordBatchInput>, config: Record<string, string> = {}) {
    const client = new FirehoseClient(
      awsClientConfig({ ...CREDENTIALS, region: REGION, endpoint: standIn.endpoint, ...config }),
    )
    try {
      return await client.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: STREAM,
          Records: [{ Data: Buffer.from('x\n') }],
          ...input,
        }),
      )
    } finally {
      client.destroy()
    }
  }

  it('checks the SigV4 signature, key id, scope and target', async () => {
    await expect(put({}, { secret_access_key: 'wrong' })).rejects.toMatchObject({
      name: 'InvalidSignatureException',
    })
    await expect(put({}, { access_key_id: 'AKIDSOMEONEELSE1' })).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
    })
    await expect(put({}, { region: 'us-east-1' })).rejects.toMatchObject({
      name: 'InvalidSignatureException',
    })
    const unsigned = await request(standIn.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'Firehose_20150804.PutRecordBatch',
      },
      body: JSON.stringify({ DeliveryStreamName: STREAM, Records: [{ Data: 'eA==' }] }),
    })
    expect(unsigned.statusCode).toBe(400)
    expect(await unsigned.body.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' })
    const client = new FirehoseClient(
      awsClientConfig({ ...CREDENTIALS, region: REGION, endpoint: standIn.endpoint }),
    )
    await expect(
      client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: STREAM })),
    ).rejects.toMatchObject({
      name: 'UnknownOperationException',
    })
    client.destroy()
    expect(standIn.records).toHaveLength(0)
  })

  it('refuses what breaks the documented limits, and unknown streams', async () => {
    const records = (n: number, bytes: number) =>
      Array.from({ length: n }, () => ({ Data: Buffer.alloc(bytes, 120) }))
    await expect(put({ Records: records(501, 10) })).rejects.toMatchObject({ name: 'ValidationException' })
    await expect(put({ Records: records(1, MAX_RECORD_BYTES + 1) })).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('1024000'),
    })
    await expect(put({ Records: records(5, 900_000) })).rejects.toMatchObject({
      name: 'InvalidArgumentException',
      message: 'Records size exceeds 4 MiB limit',
    })
    await expect(put({ DeliveryStreamName: 'other' })).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    })
    expect(standIn.records).toHaveLength(0)
    const ok = await put({ Records: records(500, 10) })
    expect(ok.FailedPutCount).toBe(0)
    expect(ok.RequestResponses?.every((r) => typeof r.RecordId === 'string')).toBe(true)
    expect(standIn.records).toHaveLength(500)
  })
})

describe('firehose send against the stand-in', () => {
  const agent = makeAgent()
  let standIn: FirehoseStandIn
  let resources: FirehoseResources
  let config: FirehoseSettings

  beforeAll(async () => {
    standIn = await startFirehoseStandIn({
      accessKeyId: CREDENTIALS.access_key_id,
      secretAccessKey: CREDENTIALS.secret_access_key,
      region: REGION,
      streams: [STREAM],
      // Lower than the documented 4 MiB, to show that a refused request is split.
      maxRequestBytes: 1024 * 1024,
    })
    config = settings({ endpoint: standIn.endpoint })
    resources = (await firehose.open?.(config, { log, name: 'firehose' })) as FirehoseResources
  })
  afterEach(() => {
    standIn.records.length = 0
    standIn.script.clear()
  })
  afterAll(async () => {
    if (resources) await firehose.close?.(resources)
    await standIn?.close()
    await agent.close()
  })

  function send(events: EnrichedEvent[], overrides: Partial<FirehoseSettings> = {}, using = resources) {
    const s = { ...config, ...overrides }
    return firehose.send(makeBatch(firehose, s, events), makeContext(s, agent, { resources: using }))
  }

  it('delivers the events as newline-terminated JSON records', async () => {
    const events = makeView(30)
    const outcomes = await send(events)
    expect(outcomes).toEqual(events.map(() => ({ kind: 'delivered' })))
    expect(standIn.texts(STREAM)).toEqual(events.map((e) => `${JSON.stringify(e)}\n`))
    expect(standIn.received.at(-1)?.headers['x-amz-target']).toBe('Firehose_20150804.PutRecordBatch')
  })

  it('plans exactly the PutRecordBatch input send puts', async () => {
    const events = makeView(3)
    const [call] = await firehose.plan(makeBatch(firehose, config, events), config)
    expect(call?.kind === 'sdk' && call.params).toEqual({
      DeliveryStreamName: STREAM,
      Records: events.map((e) => ({ Data: `${JSON.stringify(e)}\n` })),
    })
    expect(call).toMatchObject({
      kind: 'sdk',
      client: '@aws-sdk/client-firehose',
      operation: 'PutRecordBatch',
      target: `deliverystream/${STREAM} via ${standIn.endpoint}`,
    })
    await send(events)
    expect(standIn.requestedTexts().at(-1)).toEqual(events.map((e) => `${JSON.stringify(e)}\n`))
  })

  it('pauses on credentials the service refuses, retries a missing stream slowly, retries failed records', async () => {
    const badKey = settings({ endpoint: standIn.endpoint, secret_access_key: 'rotated' })
    const other = (await firehose.open?.(badKey, { log, name: 'firehose' })) as FirehoseResources
    const denied = await send(makeView(2), {}, other)
    await firehose.close?.(other)
    expect(denied).toEqual(pausedForCredentials(2, 400, 'InvalidSignatureException'))

    const missing = await send(makeView(2), { delivery_stream_name: 'gone' })
    expect(missing[0]).toMatchObject({ kind: 'retry', status: 400, afterMs: RESOURCE_RETRY_MS })
    expect(missing[0]?.kind === 'retry' && missing[0].reason).toMatch(/^ResourceNotFoundException/)

    // The documented per-record code of an over-throughput stream.
    standIn.failNextRecords(1)
    const outcomes = await send(makeView(2))
    expect(outcomes).toEqual([
      { kind: 'retry', reason: 'ServiceUnavailableException: Slow down.' },
      { kind: 'delivered' },
    ])
    expect(standIn.records).toHaveLength(1)
  })

  it('rejects an event over 1,000 KiB without sending it, and splits a request refused for its size', async () => {
    const big = (n: number) => makeEvent({ custom: { blob: 'x'.repeat(n) } })
    const tooBig = big(MAX_RECORD_BYTES)
    const events = [big(400_000), tooBig, big(400_000), big(400_000)]
    const before = standIn.received.length
    const outcomes = await send(events)
    expect(outcomes.map((o) => o.kind)).toEqual(['delivered', 'rejected', 'delivered', 'delivered'])
    expect(outcomes[1]).toMatchObject({ reason: expect.stringContaining('record limit') })
    // 1.2 MB is over this stand-in's 1 MiB: refused whole, then sent as 2 + 1.
    expect(standIn.received.slice(before).map((r) => r.status)).toEqual([400, 200, 200])
    expect(standIn.records).toHaveLength(3)
  })
})
