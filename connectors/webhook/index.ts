import type { EnrichedEvent } from '../../src/event.ts'
import { defineConnector, type Outcome, SKIP } from '../../src/worker/connector.ts'
import {
  ConnectorDisabledError,
  outcomeForStatus,
  outcomesForAll,
  sendSplittingOnTooLarge,
} from '../../src/worker/http-outcome.ts'
import { post } from '../common/post.ts'
import { excludeTypesSetting, httpUrlSetting } from '../common/settings.ts'
import { batchWebhookId, signatureHeader, signingKey } from './signing.ts'

export interface WebhookSettings {
  url: string
  secret?: string
  headers: Record<string, string>
  timeout_ms: number
  max_events: number
  max_body_bytes: number
  exclude_types: string[]
}

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

export const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: httpUrlSetting(
      'Endpoint that receives POSTed batches. Use https:// outside tests: the body is not encrypted.',
    ),
    secret: {
      type: 'string',
      pattern: '^whsec_[A-Za-z0-9+/]{32,86}={0,2}$',
      description:
        'Standard Webhooks signing secret, "whsec_" + base64 of 24..64 random bytes. When set, every request ' +
        'carries a webhook-signature header (v1, HMAC-SHA256). Leave unset to send unsigned requests.',
    },
    headers: {
      type: 'object',
      propertyNames: { pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" },
      additionalProperties: { type: 'string' },
      default: {},
      description:
        'Extra request headers (e.g. an Authorization header for the receiver). Content-Type, Content-Length ' +
        'and the webhook-* headers are set by the connector and cannot be overridden.',
    },
    timeout_ms: {
      type: 'integer',
      minimum: 100,
      maximum: 120_000,
      default: 15_000,
      description:
        'Give up on a request after this many milliseconds (the batch is then retried). Standard Webhooks ' +
        'recommends 15-30 s.',
    },
    max_events: {
      type: 'integer',
      minimum: 1,
      maximum: 10_000,
      default: 500,
      description: 'Most events in one request.',
    },
    max_body_bytes: {
      type: 'integer',
      minimum: 1024,
      maximum: 64 * 1024 * 1024,
      default: 1_000_000,
      description: "Largest request body in bytes; set it to the receiver's body limit.",
    },
    exclude_types: excludeTypesSetting('Event types not to send (e.g. ["heartbeat"]).'),
  },
} as const

export default defineConnector<WebhookSettings, WebhookRecord>({
  type: 'webhook',
  description: 'POSTs batches of enriched events as JSON to an HTTP endpoint, signed per Standard Webhooks.',
  settingsSchema,

  limits(settings) {
    return { maxItems: settings.max_events, maxBytes: settings.max_body_bytes - ENVELOPE_BYTES }
  },

  dedupeKey: (event) => event.event_id,

  transform(event, settings) {
    if (settings.exclude_types.includes(event.type)) return SKIP
    return event
  },

  // JSON bytes plus the separating comma.
  recordBytes: (record) => Buffer.byteLength(JSON.stringify(record)) + 1,

  async send(batch, ctx) {
    const { settings } = ctx
    const key = settings.secret ? signingKey(settings.secret) : undefined
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(settings.timeout_ms)])

    return sendSplittingOnTooLarge(batch, async (items) => {
      const body = `{"events":[${items.map((item) => JSON.stringify(item.record)).join(',')}]}`
      const webhookId = batchWebhookId(items.map((item) => item.event.event_id))
      const timestamp = Math.floor(Date.now() / 1000)

      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(settings.headers)) {
        const lower = name.toLowerCase()
        if (!RESERVED_HEADERS.has(lower)) headers[lower] = value
      }
      headers['content-type'] = 'application/json'
      headers['webhook-id'] = webhookId
      headers['webhook-timestamp'] = String(timestamp)
      if (key) headers['webhook-signature'] = signatureHeader(key, webhookId, timestamp, body)

      const res = await post(settings.url, { headers, body }, { http: ctx.http, signal })
      const text = res.text

      if (res.statusCode === 410) {
        // https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
        // "Delivery success and failure": 410 Gone → disable the endpoint and stop sending to it.
        throw new ConnectorDisabledError(
          `webhook endpoint ${new URL(settings.url).host} answered 410 Gone: it asks not to receive events any more`,
          { status: 410 },
        )
      }
      const outcome: Outcome = outcomeForStatus({ status: res.statusCode, body: text, headers: res.headers })
      return { outcomes: outcomesForAll(items.length, outcome), tooLarge: res.statusCode === 413 }
    })
  },
})
