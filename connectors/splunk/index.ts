import { randomUUID } from 'node:crypto'
import { type Static, Type } from '@sinclair/typebox'
import {
  type BatchItem,
  defineConnector,
  type Outcome,
  type SendContext,
} from '../../src/worker/connector.ts'
import { type HttpRequestSpec, sendHttp } from '../../src/worker/http-connector.ts'
import { outcomesForAll, sendSplittingOnTooLarge } from '../../src/worker/http-outcome.ts'
import { compress } from '../common/compression.ts'
import { ConnectorSettings, HttpUrl, StringEnum } from '../common/settings.ts'
import { type AckContext, awaitAcks, baseUrl, expired, type PendingAck } from './ack.ts'
import { outcomesForHecError, parseHecResponse } from './response.ts'
import { type HecEvent, toHecEvent } from './transform.ts'

/** This instance's data channel (a GUID), the acknowledgments pending on it, whether it warned of none. */
export type SplunkResources = AckContext & { warnedNoAck: boolean }

// The request size is bounded by the HEC input's max_content_length ([http_input] in limits.conf,
// https://docs.splunk.com/Documentation/Splunk/latest/Admin/Limitsconf): 838860800 (800 MiB) in current
// Splunk Enterprise, 1,000,000 in old releases; Splunk Cloud Platform is commonly said to take 1 MB per
// request (not found in Splunk's docs). The default fits all of them; raise it where the input allows more.
export const DEFAULT_REQUEST_BYTES = 1_000_000
// HEC limits bytes, not events: the byte limit always closes a batch first.
export const MAX_EVENTS = 100_000
// How long an ackId may stay unacknowledged before its events are sent again: 180 s, the least Splunk's own
// Firehose integration waits for a HEC acknowledgment (HECAcknowledgmentTimeoutInSeconds, 180–600,
// https://docs.aws.amazon.com/firehose/latest/APIReference/API_SplunkDestinationConfiguration.html).
export const DEFAULT_ACK_TIMEOUT_MS = 180_000

export const settingsSchema = ConnectorSettings({
  url: HttpUrl(
    'Base URL of the HEC input, e.g. https://splunk.example.com:8088 or https://http-inputs-<stack>.splunkcloud.com; ' +
      '/services/collector/event is appended.',
  ),
  token: Type.String({
    minLength: 1,
    description:
      'HEC token, sent as "Authorization: Splunk <token>". Keep it out of the file: interpolate an environment variable.',
  }),
  index: Type.Optional(
    Type.String({
      pattern: '^[a-z0-9][a-z0-9_-]*$',
      maxLength: 80,
      description:
        "Index for every event; it must be in the token's allowed indexes. Default: the token's index.",
    }),
  ),
  source: Type.String({
    minLength: 1,
    default: 'framewire',
    description: 'Value of `source` on every event.',
  }),
  sourcetype: Type.String({
    minLength: 1,
    default: '_json',
    description: 'Value of `sourcetype`; the built-in `_json` extracts the event fields at search time.',
  }),
  host: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'Value of `host` on every event; by default the ingest node that received the event.',
    }),
  ),
  compression: StringEnum(['gzip', 'none'] as const, {
    default: 'gzip',
    description: 'Request body encoding (HEC accepts Content-Encoding: gzip).',
  }),
  max_request_bytes: Type.Integer({
    minimum: 1024,
    maximum: 838_860_800,
    default: DEFAULT_REQUEST_BYTES,
    description:
      "Largest request body in bytes (uncompressed). Keep it within the HEC input's max_content_length " +
      '(800 MiB by default on Splunk Enterprise; 1 MB is the safe value for Splunk Cloud Platform).',
  }),
  use_ack: Type.Boolean({
    default: false,
    description:
      'Indexer acknowledgment: count events as delivered only once HEC confirms they are indexed. The token ' +
      'must have indexer acknowledgment enabled (Splunk Enterprise; not offered for HEC on Splunk Cloud ' +
      'Platform). The data channel is sent either way.',
  }),
  ack_poll_interval_ms: Type.Integer({
    minimum: 10,
    maximum: 10_000,
    default: 1000,
    description: 'With use_ack: how often to ask HEC whether a request is indexed.',
  }),
  ack_wait_ms: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 5000,
    description:
      'With use_ack: how long one attempt waits for its acknowledgments before handing the events still ' +
      'pending back to the runtime, to be polled again (not sent again) on their next attempt. Keep it ' +
      'below the connector’s retry.request_timeout_ms (10 s by default).',
  }),
  ack_timeout_ms: Type.Integer({
    minimum: 1000,
    maximum: 600_000,
    default: DEFAULT_ACK_TIMEOUT_MS,
    description:
      'With use_ack: how long a request may stay unacknowledged (HEC answering "false": not indexed yet) ' +
      'before its events count as lost and are sent again.',
  }),
})
export type SplunkSettings = Static<typeof settingsSchema>

type Ctx = SendContext<SplunkSettings, SplunkResources>
type Item = BatchItem<HecEvent>

/** The /services/collector/event request for `items`: concatenated envelopes, not an array. */
async function eventRequest(
  items: Item[],
  settings: SplunkSettings,
  channel: string,
): Promise<HttpRequestSpec> {
  const headers: Record<string, string> = {
    authorization: `Splunk ${settings.token}`,
    'content-type': 'application/json',
    // Always: a token with indexer acknowledgment refuses requests without a channel (400 code 10),
    // https://docs.splunk.com/Documentation/Splunk/latest/Data/AboutHECIDXAck ("Enable indexer acknowledgment").
    'x-splunk-request-channel': channel,
  }
  if (settings.compression === 'gzip') headers['content-encoding'] = 'gzip'
  const json = items.map((item) => JSON.stringify(item.record)).join('\n')
  return {
    url: `${baseUrl(settings)}/services/collector/event`,
    headers,
    body: await compress(json, settings.compression),
  }
}

/**
 * Posts `items` (halved on 413) and reads HEC's answer. With use_ack, a 200 carrying an ackId registers each
 * event as pending on it; the caller waits for it.
 */
function postEvents(items: Item[], ctx: Ctx): Promise<Outcome[]> {
  const { settings, resources } = ctx
  return sendSplittingOnTooLarge(items, async (part) => {
    const res = await sendHttp(await eventRequest(part, settings, resources.channel), ctx)
    if (res.statusCode < 200 || res.statusCode >= 300) return outcomesForHecError(res, part.length)
    const ackId = parseHecResponse(res.text).ackId
    if (settings.use_ack && typeof ackId === 'number') {
      const sentAt = Date.now()
      for (const item of part) resources.acks.set(item.event.event_id, { ackId, sentAt, acked: false })
    } else if (settings.use_ack && !resources.warnedNoAck) {
      resources.warnedNoAck = true
      ctx.log.warn('use_ack is set but the HEC token does not acknowledge; events count as delivered on 200')
    }
    return { outcomes: outcomesForAll(part.length, { kind: 'delivered' }) }
  })
}

/** What became of an event whose request has an ackId, once this attempt stopped waiting. */
function ackOutcome(entry: PendingAck, settings: SplunkSettings, last: string, now: number): Outcome {
  if (entry.acked) return { kind: 'delivered' }
  if (expired(entry, settings, now)) {
    return {
      kind: 'retry',
      reason: `Splunk HEC: ackId ${entry.ackId} not acknowledged within ${settings.ack_timeout_ms} ms (${last}); sent again`,
      afterMs: 0,
    }
  }
  return {
    kind: 'retry',
    reason: `Splunk HEC: ackId ${entry.ackId} pending for ${now - entry.sentAt} ms (${last}); polled again`,
    afterMs: settings.ack_poll_interval_ms,
  }
}

/**
 * With use_ack: events of a request still pending are not sent again, only polled; events never sent, or
 * whose request went unacknowledged past ack_timeout_ms, are posted. Then this attempt waits up to
 * ack_wait_ms for the acknowledgments.
 */
async function sendAcknowledged(batch: Item[], ctx: Ctx): Promise<Outcome[]> {
  const { settings, resources } = ctx
  const { acks } = resources
  const start = Date.now()
  // Entries of events the runtime gave up on (dead-lettered, or never retried) are not kept forever.
  for (const [id, entry] of acks) if (start - entry.sentAt > 2 * settings.ack_timeout_ms) acks.delete(id)
  const fresh: number[] = []
  batch.forEach((item, i) => {
    const entry = acks.get(item.event.event_id)
    if (entry !== undefined && !expired(entry, settings, start)) return
    acks.delete(item.event.event_id)
    fresh.push(i)
  })
  const outcomes: Outcome[] = new Array(batch.length)
  const posted = await postEvents(
    fresh.map((i) => batch[i] as Item),
    ctx,
  )
  fresh.forEach((i, n) => {
    outcomes[i] = posted[n] as Outcome
  })
  const waiting = batch.flatMap((item, i) => {
    const entry = acks.get(item.event.event_id)
    const kind = outcomes[i]?.kind
    return entry && (kind === undefined || kind === 'delivered') ? [{ i, entry }] : []
  })
  const last = await awaitAcks(
    waiting.map((w) => w.entry),
    ctx,
  )
  const now = Date.now()
  for (const { i, entry } of waiting) {
    outcomes[i] = ackOutcome(entry, settings, last, now)
    const item = batch[i] as Item
    if (entry.acked || expired(entry, settings, now)) acks.delete(item.event.event_id)
  }
  return outcomes
}

export default defineConnector<SplunkSettings, HecEvent, SplunkResources>({
  type: 'splunk',
  description: 'Player events as Splunk events through the HTTP Event Collector (/services/collector/event).',
  settingsSchema,

  limits(settings) {
    return { maxItems: MAX_EVENTS, maxBytes: settings.max_request_bytes }
  },

  // HEC does not deduplicate; every event carries event_id, so duplicates can be found in searches.
  transform: (event, settings) => toHecEvent(event, settings),

  async open() {
    return { channel: randomUUID(), acks: new Map(), warnedNoAck: false }
  },

  // The event request; with use_ack the ack queries follow from its answer. Each instance makes its own
  // channel GUID when it starts (open), so the plan shows a fresh one.
  async plan(batch, settings) {
    return [{ kind: 'http', method: 'POST', ...(await eventRequest(batch, settings, randomUUID())) }]
  },

  send(batch, ctx) {
    return ctx.settings.use_ack ? sendAcknowledged(batch, ctx) : postEvents(batch, ctx)
  },
})
