import { createHmac, timingSafeEqual } from 'node:crypto'
import { kit, type RecordedRequest, type StandIn, startStandIn } from './recorder.ts'
import { redeliveries } from './redeliveries.ts'

/**
 * A webhook receiver that enforces the Standard Webhooks receiver rules
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
 * webhook-id / webhook-timestamp / webhook-signature present, timestamp within the tolerance, and one
 * `v1,` signature matching HMAC-SHA256(base64-decoded secret, `${id}.${timestamp}.${raw body}`) compared
 * in constant time. Failures answer 401. The body must be JSON `{"events":[{event_id, …}, …]}`.
 *
 *   const s = await startWebhookStandIn({ secret: 'whsec_…' })
 *   s.endpoint            // URL to configure as the connector's `url`
 *   s.uniqueCount()       // distinct event_ids accepted
 *   s.script.failAlways(410)
 */

export interface WebhookStandInOptions {
  /** `whsec_<base64>`; when set, unsigned or badly signed requests answer 401. */
  secret?: string
  /** Allowed clock difference for webhook-timestamp, seconds (spec suggests 5 minutes). */
  toleranceSec?: number
  /** Path of the endpoint (default /hook). */
  path?: string
  /** The receiver's body limit: larger bodies answer 413. */
  maxBodyBytes?: number
  /** Status for accepted deliveries (default 204). */
  successStatus?: number
}

export interface AcceptedEvent {
  event_id: string
  webhookId: string
  /** True when this event_id had already been accepted earlier. */
  duplicate: boolean
  event: Record<string, unknown>
  request: RecordedRequest | undefined
}

export interface WebhookStandIn extends StandIn {
  /** `url` + path: the URL to POST to. */
  endpoint: string
  /** Every accepted event in arrival order, duplicates included (flagged). */
  events: AcceptedEvent[]
  /** Distinct event_ids accepted. */
  uniqueCount(): number
  /** Accepted events whose event_id had been seen before. */
  duplicateCount(): number
  /** webhook-id of every accepted request, in order. */
  webhookIds: string[]
}

export async function startWebhookStandIn(options: WebhookStandInOptions = {}): Promise<WebhookStandIn> {
  const path = options.path ?? '/hook'
  const toleranceSec = options.toleranceSec ?? 300
  const key = options.secret ? decodeSecret(options.secret) : undefined
  const events: AcceptedEvent[] = []
  const webhookIds: string[] = []
  const delivered = redeliveries()

  const base = await startStandIn({
    faultBody: (status) => ({ error: `scripted ${status}` }),
    routes(app, recordOf) {
      app.post(path, async (request, reply) => {
        const raw = kit.bodyBytes(request)
        if (options.maxBodyBytes !== undefined && raw.length > options.maxBodyBytes) {
          return reply.code(413).send({ error: 'payload too large' })
        }

        const id = header(request.headers['webhook-id'])
        const timestamp = header(request.headers['webhook-timestamp'])
        if (key) {
          const signatures = header(request.headers['webhook-signature'])
          if (!id || !timestamp || !signatures) {
            return reply
              .code(401)
              .send({ error: 'missing webhook-id, webhook-timestamp or webhook-signature' })
          }
          if (id.includes('.')) return reply.code(401).send({ error: 'webhook-id must not contain "."' })
          if (!/^\d+$/.test(timestamp))
            return reply.code(401).send({ error: 'webhook-timestamp is not an integer' })
          const skew = Math.abs(Math.floor(Date.now() / 1000) - Number(timestamp))
          if (skew > toleranceSec) {
            return reply.code(401).send({ error: `webhook-timestamp outside tolerance (${skew}s)` })
          }
          if (!verify(key, id, timestamp, raw, signatures)) {
            return reply.code(401).send({ error: 'no valid v1 signature' })
          }
        }

        if (kit.mediaType(request.headers['content-type']) !== 'application/json') {
          return reply.code(415).send({ error: 'expected application/json' })
        }
        const parsed = kit.parseJson(raw)
        if (!parsed.ok) return reply.code(400).send({ error: 'invalid JSON' })
        const body = parsed.value
        if (!kit.isRecord(body) || !Array.isArray(body.events)) {
          return reply.code(400).send({ error: 'expected {"events":[...]}' })
        }
        for (const [index, item] of body.events.entries()) {
          if (!kit.isRecord(item) || typeof item.event_id !== 'string' || item.event_id === '') {
            return reply.code(400).send({ error: `events[${index}] has no event_id` })
          }
        }

        const webhookId = id ?? ''
        webhookIds.push(webhookId)
        const record = recordOf(request)
        for (const item of body.events as Record<string, unknown>[]) {
          const eventId = item.event_id as string
          const duplicate = delivered.note(eventId)
          events.push({ event_id: eventId, webhookId, duplicate, event: item, request: record })
        }
        return reply.code(options.successStatus ?? 204).send()
      })
    },
  })

  return {
    ...base,
    endpoint: `${base.url}${path}`,
    events,
    webhookIds,
    ...delivered.counts,
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

function decodeSecret(secret: string): Buffer {
  if (!secret.startsWith('whsec_')) throw new Error('stand-in secret must start with whsec_')
  return Buffer.from(secret.slice('whsec_'.length), 'base64')
}

function verify(key: Buffer, id: string, timestamp: string, raw: Buffer, signatures: string): boolean {
  const expected = createHmac('sha256', key)
    .update(Buffer.concat([Buffer.from(`${id}.${timestamp}.`), raw]))
    .digest()
  for (const entry of signatures.split(' ')) {
    const comma = entry.indexOf(',')
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue
    const given = Buffer.from(entry.slice(comma + 1), 'base64')
    if (given.length === expected.length && timingSafeEqual(given, expected)) return true
  }
  return false
}
