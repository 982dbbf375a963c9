import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Bus } from '../../src/bus/bus.ts'
import { CoalescingAppender } from '../../src/bus/coalescing-appender.ts'
import { createBus, topicSpec } from '../../src/bus/create-bus.ts'
import { createEventValidator } from '../../src/dictionary/event-validator.ts'
import { buildIngestApp } from '../../src/ingest/app.ts'
import { EventDedupe } from '../../src/ingest/dedupe.ts'
import type { IngestRejection } from '../../src/ingest/ingest-rejection.ts'
import { memoryDedupeStore } from '../../src/ingest/memory-dedupe-store.ts'
import { SourceRegistry } from '../../src/ingest/sources.ts'
import { silentLogger, testConfig, WRITE_KEY } from '../helpers/pipeline.ts'
import { envelope, playerEvent } from '../helpers/player-events.ts'

const MAX_EVENTS = 3
let bus: Bus
let app: FastifyInstance
const told: IngestRejection[] = []

beforeAll(async () => {
  const config = testConfig('', {}, 'embedded')
  config.ingest.max_events = MAX_EVENTS
  bus = createBus(config, silentLogger)
  await bus.ensureTopics([topicSpec(config, config.topics.events), topicSpec(config, config.topics.invalid)])
  app = await buildIngestApp({
    config,
    sources: new SourceRegistry(config.sources),
    logger: silentLogger,
    validator: createEventValidator(),
    dedupe: new EventDedupe(memoryDedupeStore(1000), 60, 10),
    appender: new CoalescingAppender(bus, { lingerMs: 0, maxRecords: 100 }),
    checkReady: async () => ({ bus: 'ok' }),
    onRejected: (rejection) => told.push(rejection),
  })
  // Routes that fail the way a bug and an unforeseen plugin would.
  app.get('/test/bug', async () => {
    throw new TypeError('cannot read properties of undefined')
  })
  app.get('/test/plugin', async () => {
    throw Object.assign(new Error('range not satisfiable'), { statusCode: 416, code: 'FST_SOME_PLUGIN' })
  })
})
afterAll(async () => {
  await app?.close()
  await bus?.close()
})

const post = (body: unknown, headers: Record<string, string> = {}) => {
  told.length = 0
  return app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}`, ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

describe('the ingest tells onRejected what it refused', () => {
  it('a request refused as a whole: its source, status, code, message and where it went wrong', async () => {
    const res = await post({ sent_at: Date.now(), events: 'nope' })
    expect(res.statusCode).toBe(400)
    const answer = res.json() as { error: string; message: string; errors: unknown[] }
    expect(told).toEqual([
      {
        kind: 'request',
        at: expect.any(Number),
        source: 'web',
        status: 400,
        code: 'FW_ERR_INGEST_INVALID_ENVELOPE',
        message: answer.message,
        errors: answer.errors,
      },
    ])
  })

  it('a refusal before the route ran (malformed JSON), and one from an unknown key without a source', async () => {
    await post('{"events": [')
    expect(told).toMatchObject([
      { kind: 'request', source: 'web', code: 'FW_ERR_INGEST_MALFORMED_JSON', errors: [] },
    ])
    await post(envelope([playerEvent('heartbeat')]), { authorization: 'Bearer not-a-key' })
    expect(told).toMatchObject([{ kind: 'request', source: undefined, status: 401 }])
  })

  it('more events than ingest.max_events', async () => {
    const res = await post(envelope(Array.from({ length: MAX_EVENTS + 1 }, () => playerEvent('heartbeat'))))
    expect([res.statusCode, res.json()]).toEqual([
      413,
      {
        error: 'FW_ERR_INGEST_TOO_MANY_EVENTS',
        message: `${MAX_EVENTS + 1} events; send at most ${MAX_EVENTS} per request`,
      },
    ])
    expect(told).toMatchObject([{ kind: 'request', status: 413, code: 'FW_ERR_INGEST_TOO_MANY_EVENTS' }])
  })

  it('the rejected events of an accepted batch, with their pointers and messages', async () => {
    const res = await post(envelope([playerEvent('heartbeat'), playerEvent('heartbeat', { seq: 'x' })]))
    expect(res.statusCode).toBe(202)
    const { rejected } = res.json() as { rejected: unknown[] }
    expect(rejected).toHaveLength(1)
    expect(told).toEqual([{ kind: 'events', at: expect.any(Number), source: 'web', rejected }])
  })

  it('nothing for a batch without rejections, nor for other routes', async () => {
    expect((await post(envelope([playerEvent('heartbeat')]))).statusCode).toBe(202)
    const missing = await app.inject({ method: 'POST', url: '/v1/other' })
    expect(missing.statusCode).toBe(404)
    expect(told).toEqual([])
  })
})

describe('every error answer is a catalogue code in one shape', () => {
  it('a body shorter than its Content-Length', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${WRITE_KEY}`,
        'content-length': '99',
      },
      payload: '{"events": []}',
    })
    expect([res.statusCode, res.json().error]).toEqual([400, 'FW_ERR_INGEST_CONTENT_LENGTH'])
  })

  it('a bug: 500 without its message, which goes to the log', async () => {
    const res = await app.inject({ method: 'GET', url: '/test/bug' })
    expect([res.statusCode, res.json()]).toEqual([
      500,
      {
        error: 'FW_ERR_INTERNAL',
        message: 'the request failed on this node, which logged why; retry, and report it if it persists',
      },
    ])
  })

  it('a client error of a plugin without a code of ours', async () => {
    const res = await app.inject({ method: 'GET', url: '/test/plugin' })
    expect([res.statusCode, res.json()]).toEqual([
      400,
      { error: 'FW_ERR_BAD_REQUEST', message: 'the request was refused: range not satisfiable' },
    ])
  })
})
