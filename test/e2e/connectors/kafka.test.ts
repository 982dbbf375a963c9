import { randomUUID } from 'node:crypto'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, expect, inject, it } from 'vitest'
import type { EnrichedEvent } from '../../../src/event.ts'
import { readTopic, startPipeline, testConfig } from '../../helpers/pipeline.ts'
import { postViews } from '../harness.ts'

const brokers = inject('kafkaBrokers')
const partnerTopic = `partner.feed.${randomUUID().slice(0, 8)}`
let pipeline: Awaited<ReturnType<typeof startPipeline>> | undefined

afterAll(async () => {
  await pipeline?.stop()
})

it('forwards events posted to the ingest to the partner topic, keyed by view, with identifying headers', async () => {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: partnerTopic, numPartitions: 3 }] })
  await admin.disconnect()

  pipeline = await startPipeline(
    testConfig(`
connectors:
  - name: partner
    type: kafka
    settings: { brokers: [${brokers.join(', ')}], topic: ${partnerTopic}, compression: gzip }
    retry: { initial_backoff_ms: 50, max_backoff_ms: 1000 }
`),
    'all',
  )
  const events = await postViews(pipeline.url, 40)
  const got = await readTopic(partnerTopic, events.length, 30_000, brokers)

  expect(new Set(got.map((r) => r.headers.event_id))).toEqual(new Set(events.map((e) => e.event_id)))
  expect(got).toHaveLength(events.length)
  for (const record of got) {
    const value = record.value as EnrichedEvent
    expect(record.key).toBe(value.view_id)
    expect(record.headers).toEqual({
      event_id: value.event_id,
      type: value.type,
      source: 'web',
      'content-type': 'application/json',
    })
    // Enriched by ingest, minus the personal data the default omit_fields keeps from partners.
    expect(value.received_at).toEqual(expect.any(Number))
    expect(value).not.toHaveProperty('client_ip')
  }
  // One view's events are in one partition, so the partner reads them in order.
  const firstView = events.slice(0, 10)
  expect(
    got.filter((r) => r.key === firstView[0]?.view_id).map((r) => (r.value as EnrichedEvent).seq),
  ).toEqual(firstView.map((e) => e.seq))
}, 90_000)
