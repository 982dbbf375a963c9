import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { SKIP } from '../../src/worker/connector.ts'
import { ConnectorDisabledError } from '../../src/worker/http-outcome.ts'
import { makeEvent, makeView } from '../../test/fixtures/events.ts'
import { makeBatch, makeContext, standInSuite } from '../../test/fixtures/send-context.ts'
import { startWebhookStandIn, type WebhookStandIn } from '../../test/stand-ins/webhook.ts'
import webhook, { type WebhookSettings } from './index.ts'
import { batchWebhookId, signatureHeader, signingKey } from './signing.ts'

const SECRET = `whsec_${randomBytes(32).toString('base64')}`

function settings(overrides: Partial<WebhookSettings> = {}): WebhookSettings {
  return {
    url: 'http://127.0.0.1:1/hook',
    secret: SECRET,
    headers: {},
    timeout_ms: 5_000,
    max_events: 500,
    max_body_bytes: 1_000_000,
    exclude_types: [],
    ...overrides,
  }
}

describe('webhook transform and limits', () => {
  it('sends the enriched event unchanged and skips excluded types', () => {
    const event = makeEvent({ type: 'buffer_start', buffer_cause: 'rebuffer' })
    expect(webhook.transform(event, settings())).toBe(event)
    expect(
      webhook.transform(makeEvent({ type: 'heartbeat' }), settings({ exclude_types: ['heartbeat'] })),
    ).toBe(SKIP)
    expect(webhook.dedupeKey(event)).toBe(event.event_id)
  })

  it('keeps the envelope inside max_body_bytes', () => {
    expect(webhook.limits(settings({ max_events: 50, max_body_bytes: 10_000 }))).toEqual({
      maxItems: 50,
      maxBytes: 10_000 - '{"events":[]}'.length,
    })
    const event = makeEvent({ title: 'Zoë' })
    expect(webhook.recordBytes?.(event)).toBe(Buffer.byteLength(JSON.stringify(event)) + 1)
  })
})

describe('Standard Webhooks signing', () => {
  it('matches the published reference vector', () => {
    // Reference vector used across the Standard Webhooks / Svix libraries.
    const key = signingKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')
    expect(signatureHeader(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    )
  })

  it('refuses malformed secrets', () => {
    expect(() => signingKey('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toThrow(/whsec_/)
    expect(() => signingKey('whsec_c2hvcnQ=')).toThrow(/24\.\.64 bytes/)
  })

  it('derives the webhook-id from the batch content only', () => {
    const a = batchWebhookId(['e1', 'e2'])
    expect(batchWebhookId(['e1', 'e2'])).toBe(a)
    expect(batchWebhookId(['e2', 'e1'])).not.toBe(a)
    expect(batchWebhookId(['e1'])).not.toBe(a)
    expect(a).toMatch(/^msg_[A-Za-z0-9_-]{43}$/)
  })
})

describe('webhook send against the stand-in', () => {
  let s: WebhookStandIn
  const suite = standInSuite(() => s)

  it('delivers a signed batch the receiver verifies, with the configured headers', async () => {
    s = await startWebhookStandIn({ secret: SECRET })
    const config = settings({
      url: s.endpoint,
      headers: {
        Authorization: 'Bearer fw-test',
        'X-Tenant': 'acme',
        'Webhook-Id': 'forged',
        'content-type': 'text/plain',
      },
    })
    const events = makeView(12)
    const outcomes = await webhook.send(makeBatch(webhook, config, events), makeContext(config, suite.agent))

    expect(outcomes).toEqual(events.map(() => ({ kind: 'delivered' })))
    expect(s.uniqueCount()).toBe(12)
    expect(s.events.map((e) => e.event_id)).toEqual(events.map((e) => e.event_id))
    const [request] = s.received
    expect(request?.status).toBe(204)
    expect(request?.headers.authorization).toBe('Bearer fw-test')
    expect(request?.headers['x-tenant']).toBe('acme')
    expect(request?.headers['content-type']).toBe('application/json')
    expect(request?.headers['webhook-id']).toBe(batchWebhookId(events.map((e) => e.event_id)))
    expect(JSON.parse(request?.rawBody.toString() ?? '')).toEqual({ events })
  })

  it('resends an identical batch with the same webhook-id; the receiver sees duplicates by event_id', async () => {
    s = await startWebhookStandIn({ secret: SECRET })
    const config = settings({ url: s.endpoint })
    const batch = makeBatch(webhook, config, makeView(5))
    await webhook.send(batch, makeContext(config, suite.agent))
    await webhook.send(batch, makeContext(config, suite.agent))

    expect(s.webhookIds).toHaveLength(2)
    expect(s.webhookIds[0]).toBe(s.webhookIds[1])
    expect(s.uniqueCount()).toBe(5)
    expect(s.duplicateCount()).toBe(5)
  })

  it('is rejected (401) when signed with another secret', async () => {
    s = await startWebhookStandIn({ secret: SECRET })
    const config = settings({ url: s.endpoint, secret: `whsec_${randomBytes(32).toString('base64')}` })
    const outcomes = await webhook.send(
      makeBatch(webhook, config, makeView(3)),
      makeContext(config, suite.agent),
    )

    expect(outcomes).toHaveLength(3)
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ kind: 'rejected', status: 401 })
      expect(outcome.kind === 'rejected' && outcome.body).toContain('no valid v1 signature')
    }
    expect(s.uniqueCount()).toBe(0)
  })

  it('is rejected (401) when unsigned but the receiver requires signatures', async () => {
    s = await startWebhookStandIn({ secret: SECRET })
    const config = settings({ url: s.endpoint, secret: undefined })
    const outcomes = await webhook.send(
      makeBatch(webhook, config, makeView(2)),
      makeContext(config, suite.agent),
    )
    expect(outcomes.map((o) => o.kind)).toEqual(['rejected', 'rejected'])
    expect(s.received[0]?.headers['webhook-signature']).toBeUndefined()
  })

  it('throws ConnectorDisabledError on 410 Gone', async () => {
    s = await startWebhookStandIn({ secret: SECRET })
    s.script.failAlways(410)
    const config = settings({ url: s.endpoint })
    await expect(
      webhook.send(makeBatch(webhook, config, makeView(2)), makeContext(config, suite.agent)),
    ).rejects.toThrow(ConnectorDisabledError)
  })

  it('retries 503 after Retry-After, and 429/502 without it', async () => {
    s = await startWebhookStandIn({ secret: SECRET })
    s.script.failNext(1, 503, { retryAfter: 3 }).failNext(1, 429).failNext(1, 502)
    const config = settings({ url: s.endpoint })
    const batch = makeBatch(webhook, config, makeView(2))

    expect(await webhook.send(batch, makeContext(config, suite.agent))).toEqual([
      { kind: 'retry', reason: 'HTTP 503', status: 503, afterMs: 3_000 },
      { kind: 'retry', reason: 'HTTP 503', status: 503, afterMs: 3_000 },
    ])
    expect((await webhook.send(batch, makeContext(config, suite.agent)))[0]).toMatchObject({
      kind: 'retry',
      status: 429,
    })
    expect((await webhook.send(batch, makeContext(config, suite.agent)))[1]).toMatchObject({
      kind: 'retry',
      status: 502,
    })
    expect(await webhook.send(batch, makeContext(config, suite.agent))).toEqual([
      { kind: 'delivered' },
      { kind: 'delivered' },
    ])
    expect(s.uniqueCount()).toBe(2)
  })

  it('rejects other 4xx with a body excerpt', async () => {
    s = await startWebhookStandIn({ secret: SECRET })
    s.script.failNext(1, 422, { body: { error: 'schema mismatch' } })
    const config = settings({ url: s.endpoint })
    const [outcome] = await webhook.send(
      makeBatch(webhook, config, makeView(1)),
      makeContext(config, suite.agent),
    )
    expect(outcome).toEqual({
      kind: 'rejected',
      reason: 'HTTP 422',
      status: 422,
      body: '{"error":"schema mismatch"}',
    })
  })

  it('splits a batch the receiver finds too large (413); a single oversized event is rejected', async () => {
    const events = makeView(8)
    const bodyOf = (n: number) => Buffer.byteLength(JSON.stringify({ events: events.slice(0, n) }))
    s = await startWebhookStandIn({ secret: SECRET, maxBodyBytes: bodyOf(3) + 200 })
    const config = settings({ url: s.endpoint })

    const outcomes = await webhook.send(makeBatch(webhook, config, events), makeContext(config, suite.agent))
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true)
    expect(s.uniqueCount()).toBe(8)
    expect(s.received.filter((r) => r.status === 413).length).toBeGreaterThan(0)

    const huge = makeEvent({ type: 'custom', name: 'blob', payload: 'x'.repeat(bodyOf(8)) })
    const [outcome] = await webhook.send(makeBatch(webhook, config, [huge]), makeContext(config, suite.agent))
    expect(outcome).toMatchObject({ kind: 'rejected', status: 413 })
  })

  it('throws (whole batch retryable) when the receiver never answers within timeout_ms', async () => {
    s = await startWebhookStandIn({ secret: SECRET })
    s.script.hang()
    const config = settings({ url: s.endpoint, timeout_ms: 300 })
    const started = performance.now()
    await expect(
      webhook.send(makeBatch(webhook, config, makeView(1)), makeContext(config, suite.agent)),
    ).rejects.toThrow()
    expect(performance.now() - started).toBeGreaterThanOrEqual(250)
    expect(s.received).toHaveLength(1)
  })

  it('throws when the connection is reset', async () => {
    s = await startWebhookStandIn({ secret: SECRET })
    s.script.resetNext(1)
    const config = settings({ url: s.endpoint })
    await expect(
      webhook.send(makeBatch(webhook, config, makeView(1)), makeContext(config, suite.agent)),
    ).rejects.toThrow()
  })
})
