import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FramewireConfig } from '../../src/config/types.ts'
import { registry } from '../../src/observability/metrics.ts'
import { readTopic, startPipeline, testConfig, WRITE_KEY } from '../helpers/pipeline.ts'
import { envelope, playerEvent, playerView } from '../helpers/player-events.ts'

const ORIGIN = 'https://player.example.com'
let config: FramewireConfig
let pipeline: Awaited<ReturnType<typeof startPipeline>>

async function post(body: unknown, headers: Record<string, string> = {}, query = '') {
  const res = await request(`${pipeline.url}/v1/events${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}`, ...headers },
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  })
  return {
    status: res.statusCode,
    headers: res.headers,
    body: (await res.body.json()) as Record<string, unknown>,
  }
}

beforeAll(async () => {
  config = testConfig()
  pipeline = await startPipeline(config)
})
afterAll(async () => pipeline.stop())

describe('POST /v1/events', () => {
  it('writes a valid batch to Kafka exactly as the enriched events, keyed by source and view', async () => {
    const events = playerView(10)
    const sentAt = Date.now() - 5000 // the client clock runs 5 s behind
    const res = await post(envelope(events, sentAt), { 'user-agent': 'test-player/1.0', origin: ORIGIN })
    expect(res.status).toBe(202)
    expect(res.body).toEqual({ accepted: 10, duplicates: 0, rejected: [] })
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN)

    const records = await readTopic(config.topics.events, 10)
    expect(records).toHaveLength(10)
    const byId = new Map(records.map((r) => [(r.value as { event_id: string }).event_id, r]))
    for (const event of events) {
      const record = byId.get(event.event_id)
      expect(record?.key).toBe(`web:${event.view_id}`)
      const value = record?.value as Record<string, number | string>
      const receivedAt = value.received_at as number
      expect(Math.abs(receivedAt - Date.now())).toBeLessThan(30_000)
      expect(value).toEqual({
        ...event,
        received_at: receivedAt,
        ts_corrected: event.ts + (receivedAt - sentAt),
        source: 'web',
        ingest_node: 'test-node',
        client_ip: '127.0.0.1',
        user_agent: 'test-player/1.0',
      })
    }
  })

  it('accepts the valid events of a mixed batch and rejects each invalid one with a pointer and reason', async () => {
    const good = [playerEvent('heartbeat'), playerEvent('pause')]
    const missingView = playerEvent('playing', { view_id: undefined })
    const badCause = playerEvent('buffer_start')
    ;(badCause.buffer as Record<string, unknown>).cause = 'coffee'
    const unknownType = playerEvent('heartbeat', { type: 'teleport' })
    const events = [good[0], missingView, badCause, good[1], unknownType]
    const res = await post(envelope(events))
    expect(res.status).toBe(202)
    expect(res.body.accepted).toBe(2)
    const rejected = res.body.rejected as { index: number; errors: { pointer: string; message: string }[] }[]
    expect(rejected.map((r) => r.index)).toEqual([1, 2, 4])
    expect(rejected[0]?.errors).toEqual([
      { pointer: '/events/1/view_id', message: expect.stringMatching(/required/) },
    ])
    expect(rejected[1]?.errors[0]?.pointer).toBe('/events/2/buffer/cause')
    expect(rejected[1]?.errors[0]?.message).toMatch(/initial.*seek.*stall/)
    expect(rejected[2]?.errors[0]?.pointer).toBe('/events/4/type')
    expect(rejected[2]?.errors[0]?.message).toMatch(/teleport/)

    const accepted = await readTopic(config.topics.events, 12)
    const acceptedIds = accepted.map((r) => (r.value as { event_id: string }).event_id)
    expect(acceptedIds).toEqual(expect.arrayContaining(good.map((e) => e.event_id)))
    expect(acceptedIds).not.toContain(badCause.event_id)
    const invalid = await readTopic(config.topics.invalid, 3)
    expect(invalid.map((r) => r.value)).toEqual(
      rejected.map((r) =>
        expect.objectContaining({ source: 'web', index: r.index, errors: r.errors, raw: events[r.index] }),
      ),
    )
  })

  it('drops duplicate event_ids across requests', async () => {
    const events = playerView(4)
    const first = await post(envelope(events))
    const again = await post(envelope([...events, events[0]]))
    expect(first.body).toMatchObject({ accepted: 4, duplicates: 0 })
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 5 })
    const hits = await registry.getSingleMetric('framewire_ingest_dedupe_hits_total')?.get()
    expect(hits?.values.find((v) => v.labels.source === 'web')?.value).toBeGreaterThanOrEqual(5)
  })

  it('accepts a sendBeacon text/plain body with the key in the query string', async () => {
    const res = await post(
      JSON.stringify(envelope(playerView(3))),
      { 'content-type': 'text/plain;charset=UTF-8', authorization: '' },
      `?key=${WRITE_KEY}`,
    )
    expect(res.status).toBe(202)
    expect(res.body.accepted).toBe(3)
  })

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ] as const)('accepts a %s body (with an X-Framewire-Key header)', async (encoding, compress) => {
    const body = compress(Buffer.from(JSON.stringify(envelope(playerView(5)))))
    const res = await post(body, {
      'content-encoding': encoding,
      authorization: '',
      'x-framewire-key': WRITE_KEY,
    })
    expect(res.status).toBe(202)
    expect(res.body.accepted).toBe(5)
  })

  it('answers 413 for a body over the limit, also when only the decompressed body is over it', async () => {
    const big = envelope([playerEvent('custom', { custom: { blob: 'x'.repeat(70_000) } })])
    expect((await post(big)).status).toBe(413)
    const bomb = gzipSync(JSON.stringify(big))
    expect(bomb.length).toBeLessThan(config.ingest.body_limit_bytes)
    const res = await post(bomb, { 'content-encoding': 'gzip' })
    expect(res.status).toBe(413)
    expect(res.body).toEqual({
      error: 'FW_ERR_INGEST_BODY_TOO_LARGE',
      message: `the body is larger than ${config.ingest.body_limit_bytes} bytes (after decompression); send fewer events per request`,
    })
  })

  it('answers 400 for malformed JSON, saying where it broke', async () => {
    const res = await post('{"sent_at": 1,\n "events": [}')
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('FW_ERR_INGEST_MALFORMED_JSON')
    expect(res.body.message).toMatch(/line 2, column 13/)
  })

  it('answers 400 for a body that is not a batch, with pointers to what is wrong', async () => {
    const res = await post({ sent_at: Date.now(), events: 'nope' })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('FW_ERR_INGEST_INVALID_ENVELOPE')
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer: '/events' })]))
  })

  it('answers 401 for an unknown key', async () => {
    const res = await post(envelope(playerView(1)), { authorization: 'Bearer nope-nope-nope' })
    expect(res.status).toBe(401)
    expect(res.body).toEqual({
      error: 'FW_ERR_INGEST_UNKNOWN_WRITE_KEY',
      message: 'send a valid write key in Authorization: Bearer, X-Framewire-Key, or ?key=',
    })
  })

  it('answers 403 with no CORS header for a disallowed origin', async () => {
    const res = await post(envelope(playerView(1)), { origin: 'https://evil.example.net' })
    expect(res.status).toBe(403)
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
    expect(res.body).toEqual({
      error: 'FW_ERR_INGEST_ORIGIN_NOT_ALLOWED',
      message:
        'origin https://evil.example.net may not send to source web; the source needs it in its allowed_origins',
    })
  })

  it.each([
    ['an unsupported content type', { 'content-type': 'application/xml' }, 415, 'FW_ERR_INGEST_MEDIA_TYPE'],
    ['an unsupported encoding', { 'content-encoding': 'zstd' }, 415, 'FW_ERR_INGEST_ENCODING_UNSUPPORTED'],
    [
      'a body that is not what its encoding says',
      { 'content-encoding': 'gzip' },
      400,
      'FW_ERR_INGEST_ENCODING_INVALID',
    ],
  ])('answers %s with a catalogue code', async (_what, headers, status, code) => {
    const res = await post(envelope(playerView(1)), headers)
    expect([res.status, res.body.error]).toEqual([status, code])
    expect(Object.keys(res.body).sort()).toEqual(['error', 'message'])
  })

  it('answers unknown routes and unreadable URLs in the same shape', async () => {
    const missing = await request(`${pipeline.url}/v1/event?key=${WRITE_KEY}`, { method: 'POST' })
    expect(missing.statusCode).toBe(404)
    expect(await missing.body.json()).toEqual({
      error: 'FW_ERR_NOT_FOUND',
      message: 'no route POST /v1/event; events go to POST /v1/events',
    })
    const badUrl = await request(`${pipeline.url}/v1/%e0%a4%a`)
    expect([badUrl.statusCode, ((await badUrl.body.json()) as { error: string }).error]).toEqual([
      400,
      'FW_ERR_BAD_URL',
    ])
  })

  it('answers a preflight for an allowed origin and refuses another', async () => {
    const preflight = (origin: string) =>
      request(`${pipeline.url}/v1/events`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      })
    const ok = await preflight(ORIGIN)
    expect(ok.statusCode).toBe(204)
    expect(ok.headers['access-control-allow-origin']).toBe(ORIGIN)
    expect(ok.headers['access-control-allow-methods']).toMatch(/POST/)
    await ok.body.dump()
    const refused = await preflight('https://evil.example.net')
    expect(refused.statusCode).toBe(403)
    expect(refused.headers['access-control-allow-origin']).toBeUndefined()
    expect(await refused.body.json()).toMatchObject({ error: 'FW_ERR_INGEST_ORIGIN_NOT_ALLOWED' })
  })
})

describe('health and metrics', () => {
  it('reports ready when Kafka and Redis answer, and exposes the ingest metrics', async () => {
    const ready = await request(`${pipeline.url}/readyz`)
    expect(ready.statusCode).toBe(200)
    expect(await ready.body.json()).toEqual({ status: 'ready', checks: { bus: 'ok', redis: 'ok' } })
    const metrics = await (await request(`${pipeline.url}/metrics`)).body.text()
    for (const name of [
      'framewire_ingest_requests_total',
      'framewire_ingest_events_accepted_total',
      'framewire_ingest_events_rejected_total',
      'framewire_ingest_produce_latency_seconds_bucket{le="0.0005"',
      'framewire_ingest_produce_batch_records',
      'framewire_ingest_dedupe_hits_total',
    ]) {
      expect(metrics).toContain(name)
    }
  })
})
