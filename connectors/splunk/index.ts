import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { defineConnector, type Outcome, type SendContext, SKIP } from '../../src/worker/connector.ts'
import { outcomesForAll, sendSplittingOnTooLarge } from '../../src/worker/http-outcome.ts'
import { compress } from '../common/compression.ts'
import { post } from '../common/post.ts'
import { excludeTypesSetting, httpUrlSetting } from '../common/settings.ts'
import { outcomesForHecError, parseHecResponse } from './response.ts'
import { type HecEvent, toHecEvent } from './transform.ts'

export interface SplunkSettings {
  url: string
  token: string
  index?: string
  source: string
  sourcetype: string
  host?: string
  compression: 'gzip' | 'none'
  max_request_bytes: number
  use_ack: boolean
  ack_poll_interval_ms: number
  ack_timeout_ms: number
  exclude_types: string[]
}

export interface SplunkResources {
  /** This instance's data channel (a GUID), required by tokens with indexer acknowledgment. */
  channel: string
}

// The request size is bounded by the HEC input's max_content_length ([http_input] in limits.conf,
// https://docs.splunk.com/Documentation/Splunk/latest/Admin/Limitsconf): 838860800 (800 MiB) in current
// Splunk Enterprise, 1,000,000 in old releases; Splunk Cloud Platform is commonly said to take 1 MB per
// request (not found in Splunk's docs). The default fits all of them; raise it where the input allows more.
export const DEFAULT_REQUEST_BYTES = 1_000_000
// HEC limits bytes, not events: the byte limit always closes a batch first.
export const MAX_EVENTS = 100_000

export const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url', 'token'],
  properties: {
    url: httpUrlSetting(
      'Base URL of the HEC input, e.g. https://splunk.example.com:8088 or https://http-inputs-<stack>.splunkcloud.com; ' +
        '/services/collector/event is appended.',
    ),
    token: {
      type: 'string',
      minLength: 1,
      description:
        'HEC token, sent as "Authorization: Splunk <token>". Keep it out of the file: interpolate an environment variable.',
    },
    index: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9_-]*$',
      maxLength: 80,
      description:
        "Index for every event; it must be in the token's allowed indexes. Default: the token's index.",
    },
    source: {
      type: 'string',
      minLength: 1,
      default: 'framewire',
      description: 'Value of `source` on every event.',
    },
    sourcetype: {
      type: 'string',
      minLength: 1,
      default: '_json',
      description: 'Value of `sourcetype`; the built-in `_json` extracts the event fields at search time.',
    },
    host: {
      type: 'string',
      minLength: 1,
      description: 'Value of `host` on every event; by default the ingest node that received the event.',
    },
    compression: {
      type: 'string',
      enum: ['gzip', 'none'],
      default: 'gzip',
      description: 'Request body encoding (HEC accepts Content-Encoding: gzip).',
    },
    max_request_bytes: {
      type: 'integer',
      minimum: 1024,
      maximum: 838_860_800,
      default: DEFAULT_REQUEST_BYTES,
      description:
        "Largest request body in bytes (uncompressed). Keep it within the HEC input's max_content_length " +
        '(800 MiB by default on Splunk Enterprise; 1 MB is the safe value for Splunk Cloud Platform).',
    },
    use_ack: {
      type: 'boolean',
      default: false,
      description:
        'Indexer acknowledgment: send a data channel and count events as delivered only once HEC confirms they ' +
        'are indexed. The token must have indexer acknowledgment enabled (Splunk Enterprise; not offered for ' +
        'HEC on Splunk Cloud Platform).',
    },
    ack_poll_interval_ms: {
      type: 'integer',
      minimum: 10,
      maximum: 10_000,
      default: 500,
      description: 'With use_ack: how often to ask HEC whether a request is indexed.',
    },
    ack_timeout_ms: {
      type: 'integer',
      minimum: 100,
      maximum: 600_000,
      default: 8000,
      description:
        'With use_ack: how long to wait for the acknowledgment before the batch is retried (possibly duplicating ' +
        'it). Keep it below the connector’s retry.request_timeout_ms (10 s by default).',
    },
    exclude_types: excludeTypesSetting('Event types not sent (e.g. ["heartbeat"]).'),
  },
} as const

const baseUrl = (settings: SplunkSettings) => settings.url.replace(/\/+$/, '')
const warnedNoAckId = new Set<string>()

/**
 * Polls /services/collector/ack until HEC reports `ackId` indexed, the timeout passes (→ retry), or the
 * runtime aborts the send (→ throws, the runtime retries). Splunk answers `{"acks":{"<id>":true|false}}`
 * (https://help.splunk.com/splunk-enterprise/get-data-in/collect-http-event-data/about-http-event-collector-indexer-acknowledgment).
 */
async function waitForAck(
  ackId: number,
  count: number,
  ctx: SendContext<SplunkSettings, SplunkResources>,
): Promise<Outcome[]> {
  const { settings } = ctx
  const deadline = Date.now() + settings.ack_timeout_ms
  let last = 'no answer yet'
  for (;;) {
    await sleep(settings.ack_poll_interval_ms, undefined, { signal: ctx.signal })
    const res = await post(
      `${baseUrl(settings)}/services/collector/ack`,
      {
        headers: {
          authorization: `Splunk ${settings.token}`,
          'x-splunk-request-channel': ctx.resources.channel,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ acks: [ackId] }),
      },
      ctx,
    )
    const text = res.text
    if (res.statusCode === 200) {
      const acks = (parseHecResponse(text) as { acks?: Record<string, unknown> }).acks
      if (acks?.[String(ackId)] === true) return outcomesForAll(count, { kind: 'delivered' })
      last = 'not indexed yet'
    } else {
      last = `ack query answered ${res.statusCode} ${text.slice(0, 200)}`
    }
    if (Date.now() + settings.ack_poll_interval_ms > deadline) {
      return outcomesForAll(count, {
        kind: 'retry',
        reason: `Splunk HEC: ackId ${ackId} not acknowledged within ${settings.ack_timeout_ms} ms (${last})`,
      })
    }
  }
}

export default defineConnector<SplunkSettings, HecEvent, SplunkResources>({
  type: 'splunk',
  description: 'Player events as Splunk events through the HTTP Event Collector (/services/collector/event).',
  settingsSchema,

  limits(settings) {
    return { maxItems: MAX_EVENTS, maxBytes: settings.max_request_bytes }
  },

  // HEC does not deduplicate; every event carries event_id, so duplicates can be found in searches.
  dedupeKey: (event) => event.event_id,

  transform(event, settings) {
    if (settings.exclude_types.includes(event.type)) return SKIP
    return toHecEvent(event, settings)
  },

  // The envelope plus the newline separating it from the next one.
  recordBytes: (record) => Buffer.byteLength(JSON.stringify(record)) + 1,

  async open() {
    return { channel: randomUUID() }
  },

  async send(batch, ctx) {
    const { settings } = ctx
    const headers: Record<string, string> = {
      authorization: `Splunk ${settings.token}`,
      'content-type': 'application/json',
    }
    if (settings.use_ack) headers['x-splunk-request-channel'] = ctx.resources.channel
    if (settings.compression === 'gzip') headers['content-encoding'] = 'gzip'

    return sendSplittingOnTooLarge(batch, async (items) => {
      // Concatenated JSON objects, not an array; HEC allows whitespace between them.
      const json = items.map((item) => JSON.stringify(item.record)).join('\n')
      const res = await post(
        `${baseUrl(settings)}/services/collector/event`,
        { headers, body: await compress(json, settings.compression) },
        ctx,
      )
      const text = res.text
      if (res.statusCode < 200 || res.statusCode >= 300) {
        return outcomesForHecError(res.statusCode, text, res.headers, items.length)
      }
      const ackId = parseHecResponse(text).ackId
      if (!settings.use_ack) return { outcomes: outcomesForAll(items.length, { kind: 'delivered' }) }
      if (typeof ackId !== 'number') {
        // The token has acknowledgment off: HEC accepted the events, as without use_ack.
        if (!warnedNoAckId.has(ctx.name)) {
          warnedNoAckId.add(ctx.name)
          ctx.log.warn(
            'use_ack is set but the HEC token does not acknowledge; events count as delivered on 200',
          )
        }
        return { outcomes: outcomesForAll(items.length, { kind: 'delivered' }) }
      }
      return { outcomes: await waitForAck(ackId, items.length, ctx) }
    })
  },
})
