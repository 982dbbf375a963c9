import { createHash, createHmac } from 'node:crypto'

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com/, spec/standard-webhooks.md v1.0.0):
 * symmetric scheme "v1" = HMAC-SHA256 over `${webhook_id}.${webhook_timestamp}.${body}`, keyed with the
 * base64 part of a `whsec_` secret, sent base64-encoded as `v1,<signature>` in `webhook-signature`.
 */

const SECRET_PREFIX = 'whsec_'

/** The HMAC key of a `whsec_<base64>` secret. Throws on a malformed secret. */
export function signingKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('webhook secret must start with "whsec_"')
  const encoded = secret.slice(SECRET_PREFIX.length)
  const key = Buffer.from(encoded, 'base64')
  // The spec asks for random secrets of 24 to 64 bytes.
  if (key.length < 24 || key.length > 64) {
    throw new Error(`webhook secret must decode to 24..64 bytes, got ${key.length}`)
  }
  return key
}

/** The `webhook-signature` header value for one secret: `v1,<base64 HMAC-SHA256>`. */
export function signatureHeader(key: Buffer, webhookId: string, timestampSec: number, body: string): string {
  const mac = createHmac('sha256', key).update(`${webhookId}.${timestampSec}.${body}`).digest('base64')
  return `v1,${mac}`
}

/**
 * A `webhook-id` that is the same whenever the same events are sent in the same order, so a receiver
 * deduplicating by webhook-id drops a resend of an identical batch. The spec forbids "." in ids;
 * base64url never produces one.
 */
export function batchWebhookId(eventIds: readonly string[]): string {
  const digest = createHash('sha256').update(eventIds.join('\n')).digest('base64url')
  return `msg_${digest}`
}
