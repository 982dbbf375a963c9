import { randomUUID } from 'node:crypto'
import { expect, it } from 'vitest'
import { type Kinesalite, startKinesalite, TEST_AWS } from '../../../connectors/kinesis/testing.ts'
import type { EnrichedEvent } from '../../../src/event.ts'
import { postViews } from '../harness.ts'
import { connectorPipeline } from './connector-pipeline.ts'

const stream = `e2e-${randomUUID().slice(0, 8)}`
const e2e = connectorPipeline(
  async () => {
    const kinesis = await startKinesalite()
    await kinesis.createStream(stream, 2)
    return kinesis
  },
  (kinesis) => ({
    name: 'kinesis',
    type: 'kinesis',
    settings: { ...TEST_AWS, stream_name: stream, endpoint: kinesis.endpoint },
  }),
)

it('delivers events posted to ingest to the Kinesis stream, one JSON record per event keyed by view', async () => {
  const { destination: kinesis, pipeline } = e2e
  const events = await postViews(pipeline.url, 100)
  let records: Awaited<ReturnType<Kinesalite['readStream']>> = []
  for (const deadline = Date.now() + 30_000; records.length < events.length && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    records = await kinesis.readStream(stream)
  }
  const stored = records.map((r) => ({ key: r.partitionKey, event: JSON.parse(r.data) as EnrichedEvent }))
  expect(stored.map((s) => s.event.event_id).sort()).toEqual(events.map((e) => e.event_id).sort())
  for (const { key, event } of stored) {
    expect(key).toBe(event.view_id)
    expect(event).toMatchObject({ source: 'web', ingest_node: 'test-node' })
    expect(typeof event.received_at).toBe('number')
  }
  expect(new Set(records.map((r) => r.shardId)).size).toBe(2)
}, 60_000)
