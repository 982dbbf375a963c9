import { request } from 'undici'
import { expect, it } from 'vitest'
import { startPipeline, testConfig, WRITE_KEY } from '../helpers/pipeline.ts'
import { envelope, playerView } from '../helpers/player-events.ts'

it('on stop, reports not ready and keeps accepting for shutdown_delay_ms, then refuses connections', async () => {
  const config = testConfig()
  config.ingest.shutdown_delay_ms = 1500
  const pipeline = await startPipeline(config)
  expect((await request(`${pipeline.url}/readyz`)).statusCode).toBe(200)

  const startedAt = Date.now()
  const stopped = pipeline.stop()
  const ready = await request(`${pipeline.url}/readyz`)
  expect(ready.statusCode).toBe(503)
  expect(await ready.body.json()).toMatchObject({
    status: 'not_ready',
    message: expect.stringMatching(/shutting down/),
  })

  // Still draining: a request in this window is accepted, and told to reconnect elsewhere.
  const accepted = await request(`${pipeline.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}` },
    body: JSON.stringify(envelope(playerView(3))),
  })
  await accepted.body.dump()
  expect(accepted.statusCode).toBe(202)
  expect(accepted.headers.connection).toBe('close')

  await stopped
  expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1500)
  await expect(request(`${pipeline.url}/readyz`)).rejects.toThrow(/ECONNREFUSED/)
})
