import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type LocalKafkaOptions, startLocalKafka, stopLocalKafka } from '../../src/bus/local-kafka.ts'
import { waitForMetadata } from '../../src/cli/kafka-command.ts'
import type { PlayerEvent } from '../../src/event.ts'
import { readTopic, startPipeline, testConfig, WRITE_KEY } from '../helpers/pipeline.ts'
import { envelope, playerView } from '../helpers/player-events.ts'

// A broker of this test's own, so stopping it does not disturb the shared one.
const broker: LocalKafkaOptions = {
  port: 19_192,
  brokers: 1,
  dataDir: mkdtempSync(join(tmpdir(), 'fw-outage-')),
  heap: '384m',
}
const quiet = () => undefined
let bootstrap: string

beforeAll(async () => {
  bootstrap = await startLocalKafka(broker, quiet, (b) => waitForMetadata(b))
})
afterAll(async () => stopLocalKafka(broker, quiet))

it('answers 503 while Kafka is down, loses no acknowledged event, and a retried batch lands exactly once', async () => {
  const config = testConfig('', { KAFKA_BROKERS: bootstrap })
  config.produce.timeout_ms = 2000
  const pipeline = await startPipeline(config)
  const post = async (events: PlayerEvent[]) => {
    const res = await request(`${pipeline.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}` },
      body: JSON.stringify(envelope(events)),
    })
    const body = (await res.body.json()) as { error?: string }
    return { status: res.statusCode, retryAfter: res.headers['retry-after'], error: body.error }
  }

  const acknowledged: PlayerEvent[] = []
  const refused: PlayerEvent[][] = []
  for (let i = 0; i < 5; i++) {
    const batch = playerView(10)
    expect((await post(batch)).status).toBe(202)
    acknowledged.push(...batch)
  }

  await stopLocalKafka(broker, quiet)
  for (let i = 0; i < 3; i++) {
    const batch = playerView(10)
    const res = await post(batch)
    expect(res.status).toBe(503)
    expect(res.error).toMatch(/^FW_ERR_INGEST_BUS_(TIMEOUT|UNAVAILABLE)$/)
    expect(Number(res.retryAfter)).toBeGreaterThan(0)
    refused.push(batch)
  }

  await startLocalKafka(broker, quiet, (b) => waitForMetadata(b))
  // The client retries each refused batch until it is acknowledged, as a collector does.
  for (const batch of refused) {
    let status = 0
    for (let attempt = 0; attempt < 30 && status !== 202; attempt++) {
      status = (await post(batch)).status
      if (status !== 202) await new Promise((r) => setTimeout(r, 500))
    }
    expect(status).toBe(202)
    acknowledged.push(...batch)
  }
  await pipeline.stop()

  const records = await readTopic(config.topics.events, acknowledged.length, 30_000, [bootstrap])
  const counts = new Map<string, number>()
  for (const r of records) {
    const id = (r.value as PlayerEvent).event_id
    counts.set(id, (counts.get(id) ?? 0) + 1)
  }
  expect(acknowledged.filter((e) => counts.get(e.event_id) !== 1)).toEqual([])
  expect(records).toHaveLength(acknowledged.length)
}, 180_000)
