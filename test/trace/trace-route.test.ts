import Fastify from 'fastify'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import type { TraceConfig } from '../../src/config/types.ts'
import { answerErrors } from '../../src/ingest/error-answers.ts'
import { memoryTraceStore } from '../../src/trace/memory-trace-store.ts'
import { registerTraceRoutes } from '../../src/trace/trace-route.ts'
import { traceSampler } from '../../src/trace/trace-sampling.ts'
import { Tracer } from '../../src/trace/tracer.ts'

const TOKEN = 'route-token'
const config = (overrides: Partial<TraceConfig>): TraceConfig => ({
  sampling: 'all',
  share: 0.5,
  ttl_seconds: 60,
  failed_window_seconds: 60,
  max_events: 10,
  max_stages: 10,
  ...overrides,
})

async function app(trace: TraceConfig, token: string | undefined) {
  const tracer = new Tracer(trace, memoryTraceStore(10, 10), pino({ level: 'silent' }))
  const server = Fastify()
  answerErrors({ bodyLimitBytes: 1000 }).install(server)
  registerTraceRoutes(server, { tracer, token })
  return { server, tracer }
}
const get = (server: Awaited<ReturnType<typeof app>>['server'], url: string, headers = {}) =>
  server.inject({ method: 'GET', url, headers }).then((r) => ({ status: r.statusCode, body: r.json() }))
const auth = { authorization: `Bearer ${TOKEN}` }

describe('the trace route', () => {
  it('says an event is sampled out, and by what', async () => {
    const off = await app(config({ sampling: 'off' }), TOKEN)
    const id = '11111111-1111-4111-8111-111111111111'
    expect(await get(off.server, `/v1/events/${id}/trace`, auth)).toEqual({
      status: 404,
      body: {
        error: 'FW_ERR_TRACE_SAMPLED_OUT',
        message: `event ${id} is not traced: trace.sampling is off`,
      },
    })
    const share = await app(config({ sampling: 'share', share: 0.5 }), TOKEN)
    const sampler = traceSampler(config({ sampling: 'share', share: 0.5 }))
    const ids = Array.from({ length: 50 }, (_, i) => `11111111-1111-4111-8111-${String(i).padStart(12, '0')}`)
    const outside = ids.find((i) => !sampler(i)) as string
    const inside = ids.find((i) => sampler(i)) as string
    expect((await get(share.server, `/v1/events/${outside}/trace`, auth)).body.message).toContain(
      'outside its 0.5 share',
    )
    expect((await get(share.server, `/v1/events/${inside}/trace`, auth)).body.error).toBe(
      'FW_ERR_TRACE_NOT_FOUND',
    )
  })

  it('answers the stages in time order, on the API path with the Bearer token and the console path with the cookie', async () => {
    const { server, tracer } = await app(config({}), TOKEN)
    const id = '22222222-2222-4222-8222-222222222222'
    tracer.record(id, { stage: 'filtered', at: 20, connector: 'c', by: 'filter' })
    tracer.record(id, { stage: 'received', at: 10, source: 'web', format: 'text/plain', node: 'n' })
    const expected = {
      status: 200,
      body: {
        event_id: id,
        stages: [expect.objectContaining({ at: 10 }), expect.objectContaining({ at: 20 })],
      },
    }
    expect(await get(server, `/v1/events/${id}/trace`, auth)).toEqual(expected)
    expect(await get(server, `/console/trace/${id}`, { cookie: `fw_console=${TOKEN}` })).toEqual(expected)
    expect((await get(server, `/console/trace/${id}`, { cookie: 'fw_console=nope' })).status).toBe(401)
    await tracer.close()
  })

  it('refuses every request when no token is configured', async () => {
    const { server } = await app(config({}), undefined)
    expect(
      (await get(server, '/v1/events/22222222-2222-4222-8222-222222222222/trace', auth)).body.error,
    ).toBe('FW_ERR_TRACE_UNAUTHORIZED')
  })
})
