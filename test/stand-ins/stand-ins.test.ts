import { createHmac, randomBytes } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { Agent } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startAmplitudeStandIn } from './amplitude.ts'
import { startDatadogStandIn } from './datadog.ts'
import type { StandIn } from './recorder.ts'
import { Script } from './scripted.ts'
import { startWebhookStandIn } from './webhook.ts'

// The stand-ins are test infrastructure other tests rely on: check that the scripting works and that
// each one refuses requests that break its vendor's contract.

let agent: Agent
let s: StandIn | undefined

beforeAll(() => {
  agent = new Agent({ keepAliveTimeout: 1_000 })
})
afterAll(async () => {
  await agent.close()
})
afterEach(async () => {
  await s?.close()
  s = undefined
})

async function post(
  origin: string,
  path: string,
  body: string | Buffer,
  headers: Record<string, string>,
  signal?: AbortSignal,
) {
  const res = await agent.request({ origin, path, method: 'POST', headers, body, signal })
  const text = await res.body.text()
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) }
}

describe('Script', () => {
  it('consumes counted steps in order, then falls back to always', () => {
    const script = new Script()
    script.failNext(2, 503).delayNext(1, 10).failAlways(410)
    expect(script.pending).toBe(3)
    expect(script.take()).toMatchObject({ kind: 'status', status: 503 })
    expect(script.take()).toMatchObject({ kind: 'status', status: 503 })
    expect(script.take()).toEqual({ kind: 'delay', ms: 10 })
    expect(script.take()).toMatchObject({ kind: 'status', status: 410 })
    script.clear()
    expect(script.take()).toBeUndefined()
    expect(() => script.failNext(0, 500)).toThrow(RangeError)
  })

  it('applies timed faults only inside their window', () => {
    const script = new Script()
    const now = Date.now()
    script.failFor(1_000, 502)
    expect(script.take(now + 500)).toMatchObject({ kind: 'status', status: 502 })
    expect(script.take(now + 1_500)).toBeUndefined()
  })
})

describe('shared recorder and faults (through the webhook stand-in)', () => {
  const body = JSON.stringify({ events: [{ event_id: 'e-1' }] })
  const json = { 'content-type': 'application/json' }

  it('records requests with arrival time and answers scripted statuses with Retry-After', async () => {
    const w = await startWebhookStandIn()
    s = w
    w.script.failNext(1, 503, { retryAfter: 7 })
    const before = Date.now()
    const first = await post(w.url, '/hook', body, json)
    expect(first.status).toBe(503)
    expect(first.headers['retry-after']).toBe('7')
    const second = await post(w.url, '/hook', body, json)
    expect(second.status).toBe(204)
    expect(w.received.map((r) => [r.fault, r.status])).toEqual([
      ['status', 503],
      [undefined, 204],
    ])
    expect(w.received[0]?.receivedAt).toBeGreaterThanOrEqual(before)
    expect(w.received[0]?.rawBody.toString()).toBe(body)
    expect(w.uniqueCount()).toBe(1)
  })

  it('fails for a duration, then recovers', async () => {
    const w = await startWebhookStandIn()
    s = w
    w.script.failFor(150, 502)
    expect((await post(w.url, '/hook', body, json)).status).toBe(502)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect((await post(w.url, '/hook', body, json)).status).toBe(204)
  })

  it('delays a response', async () => {
    const w = await startWebhookStandIn()
    s = w
    w.script.delayNext(1, 150)
    const started = performance.now()
    expect((await post(w.url, '/hook', body, json)).status).toBe(204)
    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
  })

  it('hangs until the client gives up, and resets connections', async () => {
    const w = await startWebhookStandIn()
    s = w
    w.script.hangNext(1).resetNext(1)
    await expect(post(w.url, '/hook', body, json, AbortSignal.timeout(150))).rejects.toThrow()
    await expect(post(w.url, '/hook', body, json)).rejects.toThrow()
    expect(w.received.map((r) => r.fault)).toEqual(['hang', 'reset'])
    expect((await post(w.url, '/hook', body, json)).status).toBe(204)
  })
})

describe('webhook stand-in contract', () => {
  const secret = `whsec_${randomBytes(24).toString('base64')}`
  const key = Buffer.from(secret.slice(6), 'base64')
  const body = JSON.stringify({ events: [{ event_id: 'e-1' }] })
  const sign = (id: string, ts: number, payload: string) =>
    `v1,${createHmac('sha256', key).update(`${id}.${ts}.${payload}`).digest('base64')}`
  const headers = (id: string, ts: number, signature: string) => ({
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(ts),
    'webhook-signature': signature,
  })

  it('accepts a valid signature among several (key rotation)', async () => {
    const w = await startWebhookStandIn({ secret })
    s = w
    const now = Math.floor(Date.now() / 1000)
    const signatures = `v1,${randomBytes(32).toString('base64')} ${sign('msg_1', now, body)}`
    expect((await post(w.url, '/hook', body, headers('msg_1', now, signatures))).status).toBe(204)
  })

  it('refuses a stale timestamp, a tampered body and missing headers with 401', async () => {
    const w = await startWebhookStandIn({ secret })
    s = w
    const old = Math.floor(Date.now() / 1000) - 301
    expect((await post(w.url, '/hook', body, headers('msg_1', old, sign('msg_1', old, body)))).status).toBe(
      401,
    )
    const now = Math.floor(Date.now() / 1000)
    const tampered = body.replace('e-1', 'e-2')
    expect(
      (await post(w.url, '/hook', tampered, headers('msg_1', now, sign('msg_1', now, body)))).status,
    ).toBe(401)
    expect((await post(w.url, '/hook', body, { 'content-type': 'application/json' })).status).toBe(401)
    expect(w.uniqueCount()).toBe(0)
  })
})

describe('amplitude stand-in contract', () => {
  const apiKey = 'amp-key-123456'
  const event = {
    event_type: 'Video Playing',
    device_id: 'device-12345',
    time: 1_772_366_400_000,
    insert_id: 'i-1',
  }

  it('answers like the HTTP V2 API', async () => {
    const a = await startAmplitudeStandIn({ apiKey })
    s = a
    const json = { 'content-type': 'application/json' }
    const ok = await post(a.url, '/2/httpapi', JSON.stringify({ api_key: apiKey, events: [event] }), json)
    expect(ok.status).toBe(200)
    expect(ok.json()).toMatchObject({ code: 200, events_ingested: 1, server_upload_time: expect.any(Number) })
    expect(ok.json().payload_size_bytes).toBeGreaterThan(0)

    const form = await post(a.url, '/2/httpapi', JSON.stringify({ api_key: apiKey, events: [event] }), {
      'content-type': 'text/plain',
    })
    expect(form.status).toBe(400)

    const noKey = await post(a.url, '/2/httpapi', JSON.stringify({ events: [event] }), json)
    expect(noKey.json()).toMatchObject({ code: 400, missing_field: 'api_key' })

    const gz = await post(
      a.url,
      '/2/httpapi',
      gzipSync(JSON.stringify({ api_key: apiKey, events: [event] })),
      {
        ...json,
        'content-encoding': 'gzip',
      },
    )
    expect(gz.status).toBe(200)
    expect(a.uniqueCount()).toBe(1)
    expect(a.duplicatesDropped()).toBe(1)
  })

  it('reports invalid events by index and refuses the whole request', async () => {
    const a = await startAmplitudeStandIn({ apiKey })
    s = a
    const events = [
      event,
      { ...event, insert_id: 'i-2', event_type: undefined },
      { ...event, insert_id: 'i-3', device_id: 'null' },
      { ...event, insert_id: 'i-4', device_id: 'dev', time: '2026-01-01' },
      { ...event, insert_id: 'i-5', event_type: '[Amplitude] Revenue' },
    ]
    const res = await post(a.url, '/2/httpapi', JSON.stringify({ api_key: apiKey, events }), {
      'content-type': 'application/json',
    })
    expect(res.status).toBe(400)
    expect(res.json()).toMatchObject({
      code: 400,
      events_with_missing_fields: { event_type: [1] },
      events_with_invalid_fields: { device_id: [2], time: [3], event_type: [4] },
      events_with_invalid_id_lengths: { device_id: [3] },
    })
    expect(a.uniqueCount()).toBe(0)
  })

  it('answers 413 above 2000 events', async () => {
    const a = await startAmplitudeStandIn({ apiKey })
    s = a
    const events = Array.from({ length: 2001 }, (_, i) => ({ ...event, insert_id: `i-${i}` }))
    const res = await post(a.url, '/2/httpapi', JSON.stringify({ api_key: apiKey, events }), {
      'content-type': 'application/json',
    })
    expect(res.status).toBe(413)
    expect(res.json()).toEqual({ code: 413, error: 'Payload too large' })
  })
})

describe('datadog stand-in contract', () => {
  const apiKey = 'dd-key'
  const logs = JSON.stringify([{ message: 'hi', event_id: 'e-1', timestamp: Date.now() }])

  it('checks the API key and decodes gzip', async () => {
    const d = await startDatadogStandIn({ apiKey })
    s = d
    const json = { 'content-type': 'application/json' }
    expect((await post(d.url, '/api/v2/logs', logs, json)).status).toBe(401)
    expect((await post(d.url, '/api/v2/logs', logs, { ...json, 'dd-api-key': 'nope' })).status).toBe(403)
    const bad = await post(d.url, '/api/v2/logs', Buffer.from('not gzip'), {
      ...json,
      'dd-api-key': apiKey,
      'content-encoding': 'gzip',
    })
    expect(bad.status).toBe(400)
    const ok = await post(d.url, '/api/v2/logs', gzipSync(logs), {
      ...json,
      'dd-api-key': apiKey,
      'content-encoding': 'gzip',
    })
    expect(ok.status).toBe(202)
    expect(ok.text).toBe('{}')
    expect(d.uniqueCount()).toBe(1)
  })

  it('refuses payloads over 5 MB (decoded) and arrays over 1000 entries', async () => {
    const d = await startDatadogStandIn({ apiKey })
    s = d
    const headers = { 'content-type': 'application/json', 'dd-api-key': apiKey, 'content-encoding': 'gzip' }
    const big = gzipSync(JSON.stringify([{ message: 'x'.repeat(5_000_001) }]))
    expect((await post(d.url, '/api/v2/logs', big, headers)).status).toBe(413)
    const many = JSON.stringify(Array.from({ length: 1001 }, (_, i) => ({ message: `m${i}` })))
    expect((await post(d.url, '/api/v2/logs', gzipSync(many), headers)).status).toBe(400)
  })
})
