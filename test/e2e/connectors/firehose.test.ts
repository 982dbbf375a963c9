import { expect, it } from 'vitest'
import type { EnrichedEvent } from '../../../src/event.ts'
import { startFirehoseStandIn } from '../../stand-ins/firehose.ts'
import { connectorPipeline } from './connector-pipeline.ts'

const KEYS = { accessKeyId: 'AKIDFIREHOSEE2E001', secretAccessKey: 'firehose-e2e-secret' }
const STREAM = 'player-events-e2e'
const AWS = { region: 'eu-west-1', access_key_id: KEYS.accessKeyId, secret_access_key: KEYS.secretAccessKey }

const e2e = connectorPipeline(
  () => startFirehoseStandIn({ ...KEYS, region: 'eu-west-1', streams: [STREAM] }),
  (firehose) => ({
    name: 'firehose',
    type: 'firehose',
    settings: { ...AWS, delivery_stream_name: STREAM, endpoint: firehose.endpoint },
  }),
)

it('delivers events posted to ingest to Firehose as newline-delimited JSON records, signed', async () => {
  const firehose = e2e.destination
  firehose.failNextRecords(25)
  const events = await e2e.deliver(100, () => firehose.records.length, 30_000)
  const texts = firehose.texts(STREAM)
  for (const text of texts) expect(text.endsWith('\n') && !text.slice(0, -1).includes('\n')).toBe(true)
  const stored = texts.map((text) => JSON.parse(text) as EnrichedEvent)
  // The 25 records Firehose failed were resent alone: every event exactly once.
  expect(stored.map((e) => e.event_id).sort()).toEqual(events.map((e) => e.event_id).sort())
  expect(stored[0]).toMatchObject({ source: 'web', ingest_node: 'test-node' })
  expect(firehose.received.every((r) => r.status === 200)).toBe(true)
  expect(
    firehose.received.every((r) =>
      String(r.headers.authorization).includes(`Credential=${KEYS.accessKeyId}/`),
    ),
  ).toBe(true)
}, 60_000)
