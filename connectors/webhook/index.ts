import { type Static, Type } from '@sinclair/typebox'
import type { EnrichedEvent } from '../../src/event.ts'
import { defineHttpConnector } from '../../src/worker/http-connector.ts'
import { ConnectorDisabledError } from '../../src/worker/http-outcome.ts'
import { ConnectorSettings, HttpUrl } from '../common/settings.ts'
import { batchWebhookId, signatureHeader, signingKey } from './signing.ts'

/** One element of the `events` array: the enriched event, unchanged. */
export type WebhookRecord = EnrichedEvent

/** Bytes of `{"events":[` + `]}` around the records. */
const ENVELOPE_BYTES = Buffer.byteLength('{"events":[]}')

/** Headers the connector sets itself; a configured header with one of these names is ignored. */
const RESERVED_HEADERS = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'connection',
  'host',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
])

export const settingsSchema = ConnectorSettings({
  url: HttpUrl(
    'Endpoint that receives POSTed batches. Use https:// outside tests: the body is not encrypted.',
  ),
  secret: Type.Optional(
    Type.String({
      pattern: '^whsec_[A-Za-z0-9+/]{32,86}={0,2}$',
      description:
        'Standard Webhooks signing secret, "whsec_" + base64 of 24..64 random bytes. When set, every request ' +
        'carries a webhook-signature header (v1, HMAC-SHA256). Leave unset to send unsigned requests.',
    }),
  ),
  headers: Type.Record(Type.String({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" }), Type.String(), {
    additionalProperties: false,
    default: {},
    description:
      'Extra request headers (e.g. an Authorization header for the receiver). Content-Type, Content-Length ' +
      'and the webhook-* headers are set by the connector and cannot be overridden.',
  }),
  max_events: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 500,
    description: 'Most events in one request.',
  }),
  max_body_bytes: Type.Integer({
    minimum: 1024,
    maximum: 64 * 1024 * 1024,
    default: 1_000_000,
    description: "Largest request body in bytes; set it to the receiver's body limit.",
  }),
})
export type WebhookSettings = Static<typeof settingsSchema>

/** The configured headers but the reserved ones, with the names lowercased. */
function extraHeaders(settings: WebhookSettings): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(settings.headers)) {
    const lower = name.toLowerCase()
    if (!RESERVED_HEADERS.has(lower)) headers[lower] = value
  }
  return headers
}

export default defineHttpConnector<WebhookSettings, WebhookRecord>({
  type: 'webhook',
  description: 'POSTs batches of enriched events as JSON to an HTTP endpoint, signed per Standard Webhooks.',
  settingsSchema,

  limits(settings) {
    return { maxItems: settings.max_events, maxBytes: settings.max_body_bytes - ENVELOPE_BYTES }
  },

  transform: (event) => event,

  request(items, settings) {
    const body = `{"events":[${items.map((item) => JSON.stringify(item.record)).join(',')}]}`
    const webhookId = batchWebhookId(items.map((item) => item.event.event_id))
    const timestamp = Math.floor(Date.now() / 1000)
    const headers = extraHeaders(settings)
    headers['content-type'] = 'application/json'
    headers['webhook-id'] = webhookId
    headers['webhook-timestamp'] = String(timestamp)
    if (settings.secret) {
      headers['webhook-signature'] = signatureHeader(signingKey(settings.secret), webhookId, timestamp, body)
    }
    return { url: settings.url, headers, body }
  },

  // 2xx, 401/403 (paused: the receiver refuses the signature or the token), 413, 408/429/5xx and other 4xx
  // take the generic reading; only 410 is the spec's own.
  classify(res, _items, settings) {
    if (res.statusCode === 410) {
      // https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
      // "Delivery success and failure": 410 Gone → disable the endpoint and stop sending to it.
      throw new ConnectorDisabledError(
        `webhook endpoint ${new URL(settings.url).host} answered 410 Gone: it asks not to receive events any more`,
        { status: 410 },
      )
    }
    return undefined
  },
})
