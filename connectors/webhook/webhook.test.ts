import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
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
    max_events: 500,
    max_body_bytes: 1_000_000,
    ...overrides,
  }
}

describe('webhook transform and limits', () => {
  it('sends the enriched event unchanged', () => {
    const event = makeEvent({ type: 'buffer_start', buffer_cause: 'rebuffer' })
    expect(webhook.transform(event, settings())).toBe(event)
  })

  it('keeps the envelope inside max_body_bytes', () => {
    expect(webhook.limits(settings({ max_events: 50, max_body_bytes: 10_000 }))).toEqual({
      maxItems: 50,
      maxBytes: 10_000 - '{"events":[]}'.length,
    })
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

  it('pauses (401: credentials refused) when signed with another secret', async () => {
    s = await startWebhookStandIn({ secret: SECRET })
    const config = settings({ url: s.endpoint, secret: `whsec_${randomBytes(32).toString('base64')}` })
    const outcomes = await webhook.send(
      makeBatch(webhook, config, makeView(3)),
      makeContext(config, suite.agent),
    )

    expect(outcomes).toHaveLength(3)
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ kind: 'paused', cause: 'credentials', status: 401 })
    }
    expect(s.received[0]?.status).toBe(401)
    expect(s.uniqueCount()).toBe(0)
  })

  it('pauses (401) when unsigned but the receiver requires signatures', async () => {
    s = await startWebhookStandIn({ secret: SECRET })
    const config = settings({ url: s.endpoint, secret: undefined })
    const outcomes = await webhook.send(
      makeBatch(webhook, config, makeView(2)),
      makeContext(config, suite.agent),
    )
    expect(outcomes.map((o) => o.kind)).toEqual(['paused', 'paused'])
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
})
