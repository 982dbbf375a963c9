import { randomUUID } from 'node:crypto'
import { expect, it } from 'vitest'
import { S3RVER_AWS, type StoredObject, startS3rver } from '../../../connectors/s3/testing.ts'
import type { EnrichedEvent } from '../../../src/event.ts'
import { postViews } from '../harness.ts'
import { connectorPipeline } from './connector-pipeline.ts'

const bucket = `lake-${randomUUID().slice(0, 8)}`
const e2e = connectorPipeline(
  async () => {
    const s3 = await startS3rver()
    await s3.createBucket(bucket)
    return s3
  },
  (s3) => ({
    name: 'lake',
    type: 's3',
    settings: {
      region: S3RVER_AWS.region,
      bucket,
      prefix: 'telemetry/',
      endpoint: s3.endpoint,
      force_path_style: true,
      access_key_id: S3RVER_AWS.access_key_id,
      secret_access_key: S3RVER_AWS.secret_access_key,
      roll_interval_ms: 1000,
      max_object_records: 200,
    },
  }),
)

it('delivers events posted to ingest to S3 as gzipped NDJSON objects under time-partitioned keys', async () => {
  const { destination: s3, pipeline } = e2e
  const events = await postViews(pipeline.url, 100)
  let objects: StoredObject[] = []
  const lines = () => objects.flatMap((o) => o.text.split('\n').filter(Boolean))
  for (const deadline = Date.now() + 30_000; lines().length < events.length && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    objects = await s3.readObjects(bucket)
  }
  const stored = lines().map((line) => JSON.parse(line) as EnrichedEvent)
  expect(stored.map((e) => e.event_id).sort()).toEqual(events.map((e) => e.event_id).sort())
  for (const object of objects) {
    expect(object.key).toMatch(
      /^telemetry\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/\d{8}T\d{9}Z-[0-9a-f]{16}-\d+\.ndjson\.gz$/,
    )
    const count = object.text.split('\n').filter(Boolean).length
    expect(count).toBeLessThanOrEqual(200)
    expect(object.key.endsWith(`-${count}.ndjson.gz`)).toBe(true)
    expect(object.text.endsWith('\n')).toBe(true)
  }
  expect(stored[0]).toMatchObject({ source: 'web', ingest_node: 'test-node' })
}, 60_000)
