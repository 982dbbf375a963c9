import { randomUUID } from 'node:crypto'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import type { EnrichedEvent } from '../../src/event.ts'
import { kindsAt } from '../../test/fixtures/connector-results.ts'
import { makeEvent, makeView } from '../../test/fixtures/events.ts'
import { makeAgent, makeBatch, makeContext, makeOpenContext } from '../../test/fixtures/send-context.ts'
import { readTopic } from '../../test/helpers/pipeline.ts'
import kafka, { type KafkaRecord, type KafkaSettings } from './index.ts'
import { outcomeForError, type PartnerProducer } from './producer.ts'
import { expectPartnerRecords } from './testing.ts'

const brokers = inject('kafkaBrokers')

function settings(overrides: Partial<KafkaSettings> = {}): KafkaSettings {
  return {
    brokers,
    topic: `partner.${randomUUID().slice(0, 8)}`,
    client_id: 'framewire-test',
    compression: 'none',
    ssl: false,
    max_batch_records: 5_000,
    max_batch_bytes: 1_000_000,
    omit_fields: ['client_ip', 'user_agent'],
    ...overrides,
  }
}

describe('kafka transform', () => {
  it('keys by view id, carries identifying headers and leaves out the omitted fields', () => {
    const event = makeEvent({ type: 'buffer_start', buffer: { cause: 'stall' } })
    const record = kafka.transform(event, settings()) as KafkaRecord
    expect(record.key).toBe(event.view_id)
    expect(record.headers).toEqual({
      event_id: event.event_id,
      type: 'buffer_start',
      source: 'web-player',
      'content-type': 'application/json',
    })
    const { client_ip: _ip, user_agent: _ua, ...rest } = event
    expect(JSON.parse(record.value)).toEqual(rest)
    const everything = kafka.transform(event, settings({ omit_fields: [] })) as KafkaRecord
    expect(JSON.parse(everything.value)).toEqual(event)
    expect(kafka.recordBytes?.(record)).toBeGreaterThan(Buffer.byteLength(record.value))
  })

  it('maps kafkajs errors: retriable ones (also when wrapped) retry, refused credentials pause, others reject', () => {
    const retriable = Object.assign(new Error('Connection error: ECONNREFUSED'), {
      name: 'KafkaJSConnectionError',
      retriable: true,
    })
    const exhausted = Object.assign(new Error('Connection error: ECONNREFUSED'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      retriable: false,
      cause: retriable,
    })
    expect(outcomeForError(exhausted)).toEqual({
      kind: 'retry',
      reason: 'KafkaJSConnectionError: Connection error: ECONNREFUSED',
    })
    const denied = Object.assign(new Error('Not authorized to access topics'), {
      name: 'KafkaJSProtocolError',
      type: 'TOPIC_AUTHORIZATION_FAILED',
      retriable: false,
    })
    expect(outcomeForError(denied)).toEqual({
      kind: 'paused',
      cause: 'credentials',
      reason: 'KafkaJSProtocolError TOPIC_AUTHORIZATION_FAILED: Not authorized to access topics',
    })
    const sasl = Object.assign(new Error('SASL PLAIN authentication failed: Authentication failed'), {
      name: 'KafkaJSSASLAuthenticationError',
      retriable: false,
    })
    expect(outcomeForError(sasl)).toMatchObject({ kind: 'paused', cause: 'credentials' })
    const tooLarge = Object.assign(new Error('The request included a message larger than the max'), {
      name: 'KafkaJSProtocolError',
      type: 'MESSAGE_TOO_LARGE',
      retriable: false,
    })
    expect(outcomeForError(tooLarge).kind).toBe('rejected')
    expect(outcomeForError(new TypeError('boom')).kind).toBe('retry')
  })
})

describe('kafka send against the real broker', () => {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin()
  const agent = makeAgent()
  const producers: PartnerProducer[] = []

  async function open(config: KafkaSettings) {
    const producer = (await kafka.open?.(config, makeOpenContext())) as PartnerProducer
    producers.push(producer)
    return (events: EnrichedEvent[]) =>
      kafka.send(makeBatch(kafka, config, events), makeContext(config, agent, { resources: producer }))
  }
  const createTopic = (topic: string, configEntries: { name: string; value: string }[] = []) =>
    admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, configEntries }] })

  beforeAll(() => admin.connect())
  afterEach(async () => {
    for (const producer of producers.splice(0)) await kafka.close?.(producer)
  })
  afterAll(async () => {
    await admin.disconnect()
    await agent.close()
  })

  it('produces every event with its key and headers, in order per view', async () => {
    const config = settings({ compression: 'gzip' })
    await createTopic(config.topic)
    const send = await open(config)
    const views = [makeView(12), makeView(12), makeView(12)]
    const events = views.flat()
    expect(await send(events)).toEqual(events.map(() => ({ kind: 'delivered' })))

    const got = await readTopic(config.topic, events.length, 15_000, brokers)
    expect(got).toHaveLength(events.length)
    expectPartnerRecords(got, views, 'web-player')
  })

  it('plan is the producer.send call send makes, without a client', async () => {
    const config = settings({ compression: 'gzip' })
    const batch = makeBatch(kafka, config, makeView(2))
    expect(await kafka.plan(batch, config)).toEqual([
      {
        kind: 'sdk',
        client: 'kafkajs',
        operation: 'producer.send',
        target: brokers.join(','),
        params: { topic: config.topic, acks: -1, compression: 1, messages: batch.map((item) => item.record) },
      },
    ])
  })

  it('a record over the topic limit is rejected alone: the batch is split until the others fit', async () => {
    const config = settings()
    await createTopic(config.topic, [{ name: 'max.message.bytes', value: '6000' }])
    const send = await open(config)
    const events = makeView(6)
    events[3] = { ...(events[3] as EnrichedEvent), custom: { note: 'x'.repeat(8_000) } }
    const outcomes = await send(events)
    expect(outcomes.map((o) => o.kind)).toEqual(kindsAt(6, { 3: 'rejected' }))
    expect(outcomes[3]).toMatchObject({
      reason: expect.stringMatching(/^KafkaJSProtocolError MESSAGE_TOO_LARGE: /),
    })
    const got = await readTopic(config.topic, 5, 10_000, brokers)
    expect(got.map((r) => r.headers.event_id).sort()).toEqual(
      events
        .filter((_, i) => i !== 3)
        .map((e) => e.event_id)
        .sort(),
    )
  })

  it('a missing topic or an unreachable cluster makes the batch retryable; the next send recovers', async () => {
    const config = settings()
    const send = await open(config)
    const missing = await send(makeView(2))
    expect(missing.every((o) => o.kind === 'retry')).toBe(true)
    expect(missing[0]).toMatchObject({ reason: expect.stringContaining('KafkaJS') })
    await createTopic(config.topic)
    const view = makeView(3)
    expect(await send(view)).toEqual(view.map(() => ({ kind: 'delivered' })))

    const down = await open(settings({ brokers: ['127.0.0.1:1'] }))
    const outcomes = await down(makeView(2))
    expect(outcomes).toEqual(
      [0, 1].map(() => ({ kind: 'retry', reason: expect.stringMatching(/^KafkaJSConnectionError/) })),
    )
  }, 60_000)
})
