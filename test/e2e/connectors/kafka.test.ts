import { randomUUID } from 'node:crypto'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, expect, inject, it } from 'vitest'
import { expectPartnerRecords } from '../../../connectors/kafka/testing.ts'
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
  // Enriched by ingest, minus the personal data the default omit_fields keeps from partners.
  for (const record of got) expect((record.value as EnrichedEvent).received_at).toEqual(expect.any(Number))
  expectPartnerRecords(got, [events.slice(0, 10)], 'web')
}, 90_000)
