import { request } from 'undici'
import { afterEach, expect, it } from 'vitest'
import { registry } from '../../src/observability/metrics.ts'
import { readTopic, startPipeline, testConfig, WRITE_KEY } from '../helpers/pipeline.ts'
import { envelope, playerView } from '../helpers/player-events.ts'

let pipeline: Awaited<ReturnType<typeof startPipeline>> | undefined
afterEach(async () => pipeline?.stop())

const post = async (url: string, body: unknown) => {
  const res = await request(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}` },
    body: JSON.stringify(body),
  })
  return {
    status: res.statusCode,
    headers: res.headers,
    body: (await res.body.json()) as Record<string, unknown>,
  }
}

it('keeps accepting without dedupe while Redis is down, and counts it', async () => {
  const config = testConfig()
  config.redis.url = 'redis://127.0.0.1:1' // nothing listens there
  pipeline = await startPipeline(config)
  const errorsBefore =
    (await registry.getSingleMetric('framewire_ingest_redis_errors_total')?.get())?.values ?? []
  const events = playerView(5)
  const res = await post(pipeline.url, envelope(events))
  expect(res.status).toBe(202)
  expect(res.body.accepted).toBe(5)
  const records = await readTopic(config.topics.events, 5)
  expect(records.map((r) => (r.value as { event_id: string }).event_id).sort()).toEqual(
    events.map((e) => e.event_id).sort(),
  )
  const errorsAfter =
    (await registry.getSingleMetric('framewire_ingest_redis_errors_total')?.get())?.values ?? []
  const claims = (list: typeof errorsAfter) => list.find((v) => v.labels.operation === 'claim')?.value ?? 0
  expect(claims(errorsAfter)).toBeGreaterThan(claims(errorsBefore))
  const ready = await request(`${pipeline.url}/readyz`)
  expect(ready.statusCode).toBe(200)
  expect(await ready.body.json()).toMatchObject({
    checks: { bus: 'ok', redis: expect.stringMatching(/unavailable/) },
  })
})

it('sheds load with 503 and Retry-After when under pressure', async () => {
  const config = testConfig()
  config.ingest.under_pressure.max_heap_used_bytes = 1 // always over the limit
  config.ingest.under_pressure.retry_after_seconds = 7
  pipeline = await startPipeline(config)
  // under-pressure samples the heap periodically; wait for the first sample.
  await new Promise((r) => setTimeout(r, 1200))
  const res = await post(pipeline.url, envelope(playerView(1)))
  expect(res.status).toBe(503)
  expect(res.headers['retry-after']).toBe('7')
  expect(res.body).toEqual({
    error: 'FW_ERR_INGEST_OVERLOADED',
    message: 'this ingest node is overloaded; nothing was accepted, retry after Retry-After seconds',
  })
})
