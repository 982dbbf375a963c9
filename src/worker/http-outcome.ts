import type { Dispatcher } from 'undici'
import type { Outcome } from './connector.ts'

/**
 * The generic HTTP status → outcome mapping every HTTP connector starts from. Connectors override it
 * only where their vendor's contract differs (partial failures, vendor-specific throttling, …).
 */

/** What a bare status can say; pauses are the connectors' reading of their vendor's answers. */
export type OutcomeKind = 'delivered' | 'retry' | 'rejected'

/**
 * 2xx → delivered; 408, 429 and 5xx → retry; every other status (other 4xx, and 1xx/3xx, which a
 * connector never follows) → rejected.
 */
export function classifyStatus(status: number): OutcomeKind {
  if (status >= 200 && status < 300) return 'delivered'
  if (status === 408 || status === 429 || (status >= 500 && status < 600)) return 'retry'
  return 'rejected'
}

/**
 * Parses a Retry-After header (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) into milliseconds from
 * `now`. Returns undefined when the header is missing or malformed; a date in the past gives 0.
 */
export function parseRetryAfter(
  header: string | string[] | undefined | null,
  now: number = Date.now(),
): number | undefined {
  const value = Array.isArray(header) ? header[0] : header
  if (value === undefined || value === null) return undefined
  const trimmed = value.trim()
  if (trimmed === '') return undefined
  if (/^\d+$/.test(trimmed)) return Number.parseInt(trimmed, 10) * 1000
  // Only accept something that looks like an HTTP-date, not any string Date.parse happens to understand.
  if (!/[a-z]{3}/i.test(trimmed)) return undefined
  const at = Date.parse(trimmed)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, at - now)
}

/** The same outcome for every item of a batch (each entry is its own object). */
export function outcomesForAll(n: number, outcome: Outcome): Outcome[] {
  return Array.from({ length: n }, () => ({ ...outcome }))
}

/** The first `max` characters of a response body, for rejected outcomes and logs. */
export function bodyExcerpt(text: string, max = 512): string {
  if (text.length <= max) return text
  let end = max
  // Do not cut a surrogate pair in half.
  const code = text.charCodeAt(end - 1)
  if (code >= 0xd800 && code <= 0xdbff) end -= 1
  return `${text.slice(0, end)}…`
}

export interface ResponseFacts {
  status: number
  /** Response body text (possibly capped). */
  body?: string
  headers?: Record<string, string | string[] | undefined>
  /** Clock for Retry-After dates. */
  now?: number
}

/** One outcome from a status using the generic mapping, with Retry-After and a body excerpt. */
export function outcomeForStatus(facts: ResponseFacts): Outcome {
  const { status } = facts
  switch (classifyStatus(status)) {
    case 'delivered':
      return { kind: 'delivered' }
    case 'retry': {
      const afterMs = parseRetryAfter(facts.headers?.['retry-after'], facts.now)
      const outcome: Outcome = { kind: 'retry', reason: `HTTP ${status}`, status }
      if (afterMs !== undefined) outcome.afterMs = afterMs
      return outcome
    }
    case 'rejected':
      return {
        kind: 'rejected',
        reason: `HTTP ${status}`,
        status,
        body: bodyExcerpt(facts.body ?? ''),
      }
  }
}

/** Default cap on how much of a response body a connector reads. */
export const MAX_RESPONSE_BYTES = 1024 * 1024

/**
 * Reads a response body as UTF-8 text, at most `maxBytes` of it. Always consumes or destroys the
 * stream, so the connection is either reused or closed, never leaked.
 */
export async function readBody(
  body: Dispatcher.ResponseData['body'],
  maxBytes: number = MAX_RESPONSE_BYTES,
): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
    const room = maxBytes - size
    if (buf.length >= room) {
      chunks.push(buf.subarray(0, room))
      size = maxBytes
      // Leaving the loop early destroys the stream (and that connection).
      break
    }
    chunks.push(buf)
    size += buf.length
  }
  return Buffer.concat(chunks, size).toString('utf8')
}

/** Parses JSON, returning undefined instead of throwing. */
export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The result of one request attempt, for `sendSplittingOnTooLarge`. */
export interface AttemptResult {
  outcomes: Outcome[]
  /** The vendor refused the request for its size (413); a smaller request may pass. */
  tooLarge?: boolean
}

/**
 * Sends `items` with `attempt`; when the vendor answers "payload too large" for more than one item,
 * sends each half separately (recursively) and joins the outcomes in order. A single item that is
 * still too large keeps the outcome the attempt gave it (normally rejected). The runtime already keeps
 * batches within `limits()`, so this only triggers when a vendor limit is lower than documented.
 */
export async function sendSplittingOnTooLarge<T>(
  items: T[],
  attempt: (part: T[]) => Promise<AttemptResult>,
): Promise<Outcome[]> {
  if (items.length === 0) return []
  const result = await attempt(items)
  if (!result.tooLarge || items.length === 1) return result.outcomes
  const mid = Math.ceil(items.length / 2)
  const left = await sendSplittingOnTooLarge(items.slice(0, mid), attempt)
  const right = await sendSplittingOnTooLarge(items.slice(mid), attempt)
  return [...left, ...right]
}

/**
 * Thrown by a connector's `send` when the destination asked not to receive anything any more
 * (Standard Webhooks: 410 Gone → "disable the webhook endpoint, and stop sending it messages").
 * The runtime must stop this connector instance, keep its offsets uncommitted (nothing is dead-lettered
 * for this batch) and log loudly; it must not retry the batch.
 */
export class ConnectorDisabledError extends Error {
  readonly status: number | undefined

  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'ConnectorDisabledError'
    this.status = options.status
  }
}
