import { defineConnector, SKIP } from '../../src/worker/connector.ts'
import { outcomeForStatus, outcomesForAll, tryParseJson } from '../../src/worker/http-outcome.ts'
import { type Compression, compress } from '../common/compression.ts'
import { post } from '../common/post.ts'
import { sendPrechecked } from '../common/send-prechecked.ts'
import { excludeTypesSetting, httpUrlSetting } from '../common/settings.ts'
import { tooLargeResult } from '../common/too-large.ts'
import { type NewRelicEvent, toNewRelic } from './transform.ts'

export interface NewRelicSettings {
  account_id: string
  api_key: string
  key_type: 'license' | 'insert'
  region: 'us' | 'eu'
  url?: string
  event_type: string
  compression: Compression
  max_payload_bytes: number
  exclude_types: string[]
}

// https://docs.newrelic.com/docs/data-apis/ingest-apis/event-api/introduction-event-api/ ("Requirements").
export const HOSTS = {
  us: 'https://insights-collector.newrelic.com',
  eu: 'https://insights-collector.eu01.nr-data.net',
} as const

// Same page, "Limits and restricted characters": "Payload total size: 1MB (10^6 bytes) maximum per POST",
// at most 255 attributes per event, attribute names at most 255 characters. The page does not say whether
// the 1 MB is counted before or after compression, so it is applied to the uncompressed JSON: the gzip
// body then fits whichever way New Relic counts.
export const MAX_PAYLOAD_BYTES = 1_000_000
export const MAX_ATTRIBUTES = 255
export const MAX_NAME_CHARS = 255
// No documented limit on events per POST: the byte limit always closes a batch first.
export const MAX_EVENTS = 100_000
// https://docs.newrelic.com/docs/data-apis/custom-data/custom-events/data-requirements-limits-custom-event-data/
// (`timestamp`): "It must be +/-1 day (24 hours) of the current time on the server". A minute of margin
// for the time the request spends in flight and in New Relic's asynchronous parsing.
export const MAX_SKEW_MS = 24 * 3600_000 - 60_000

export const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['account_id', 'api_key'],
  properties: {
    account_id: {
      type: 'string',
      pattern: '^[0-9]{1,20}$',
      description: 'New Relic account ID the events are reported to (part of the Event API URL).',
    },
    api_key: {
      type: 'string',
      minLength: 1,
      description:
        'A license key (ingest key of type License) of that account; Browser, Mobile and User keys are refused ' +
        'with 403. Keep it out of the file: interpolate an environment variable.',
    },
    key_type: {
      type: 'string',
      enum: ['license', 'insert'],
      default: 'license',
      description:
        '"license" sends the key as Api-Key (current docs); "insert" sends a legacy Insights insert key as X-Insert-Key.',
    },
    region: {
      type: 'string',
      enum: ['us', 'eu'],
      default: 'us',
      description:
        'Data center of the account: "us" → insights-collector.newrelic.com, "eu" → insights-collector.eu01.nr-data.net.',
    },
    url: httpUrlSetting(
      'Collector base URL overriding `region` (a proxy, FedRAMP gov-insights-collector.newrelic.com, a stand-in in ' +
        'tests); /v1/accounts/<account_id>/events is appended.',
    ),
    event_type: {
      type: 'string',
      // Letters, digits, "_" and ":"; Metric*, MetricRaw and Public_* are reserved and dropped by New Relic.
      pattern: '^(?!Metric(?:Raw)?$|Metric[0-9]|Public_)[A-Za-z][A-Za-z0-9_:]{0,254}$',
      default: 'FramewireVideoEvent',
      description:
        'eventType of every event (the NRQL table: FROM FramewireVideoEvent). One type for all player events: ' +
        'an account may hold at most 250 event types.',
    },
    compression: {
      type: 'string',
      enum: ['gzip', 'deflate', 'none'],
      default: 'gzip',
      description: 'Request body encoding; New Relic asks to always compress.',
    },
    max_payload_bytes: {
      type: 'integer',
      minimum: 1024,
      maximum: MAX_PAYLOAD_BYTES,
      default: MAX_PAYLOAD_BYTES,
      description: 'Largest request in bytes, counted uncompressed (New Relic: 1 MB per POST).',
    },
    exclude_types: excludeTypesSetting('Player event types not sent (e.g. ["heartbeat"]).'),
  },
} as const

function endpoint(settings: NewRelicSettings): string {
  const base = (settings.url ?? HOSTS[settings.region]).replace(/\/+$/, '')
  return `${base}/v1/accounts/${settings.account_id}/events`
}

/** Why New Relic would drop this event after answering 200, or undefined when it would keep it. */
export function dropReason(record: NewRelicEvent, now: number): string | undefined {
  const names = Object.keys(record)
  if (names.length > MAX_ATTRIBUTES) {
    return `${names.length} attributes: New Relic drops events with more than ${MAX_ATTRIBUTES}`
  }
  const long = names.find((name) => name.length > MAX_NAME_CHARS)
  if (long) return `attribute name longer than ${MAX_NAME_CHARS} characters: ${long.slice(0, 60)}…`
  if (Math.abs(now - record.timestamp) > MAX_SKEW_MS) {
    return 'timestamp more than 24 h from now: New Relic accepts event timestamps within ±24 h only'
  }
  return undefined
}

export default defineConnector<NewRelicSettings, NewRelicEvent>({
  type: 'newrelic',
  description: 'Player events as New Relic custom events through the Event API (/v1/accounts/<id>/events).',
  settingsSchema,

  limits(settings) {
    // The array brackets take 2 bytes; recordBytes counts each event's separating comma.
    return { maxItems: MAX_EVENTS, maxBytes: settings.max_payload_bytes - 2 }
  },

  // New Relic does not deduplicate; event_id is an attribute, so duplicates show up in NRQL.
  dedupeKey: (event) => event.event_id,

  transform(event, settings) {
    if (settings.exclude_types.includes(event.type)) return SKIP
    return toNewRelic(event, settings.event_type)
  },

  recordBytes: (record) => Buffer.byteLength(JSON.stringify(record)) + 1,

  async send(batch, ctx) {
    const { settings } = ctx
    const now = Date.now()

    const headers: Record<string, string> = { 'content-type': 'application/json' }
    headers[settings.key_type === 'insert' ? 'x-insert-key' : 'api-key'] = settings.api_key
    if (settings.compression !== 'none') headers['content-encoding'] = settings.compression

    // Parsing is asynchronous: New Relic answers 200 and drops invalid events later (NrIntegrationError),
    // so what it would drop is refused here, where it still reaches the dead-letter topic.
    const refusal = (item: (typeof batch)[number]) => dropReason(item.record, now)
    return sendPrechecked(batch, refusal, async (items) => {
      const json = `[${items.map((item) => JSON.stringify(item.record)).join(',')}]`
      const res = await post(
        endpoint(settings),
        { headers, body: await compress(json, settings.compression) },
        ctx,
      )
      const text = res.text
      if (res.statusCode >= 200 && res.statusCode < 300) {
        // The uuid names the request in any NrIntegrationError New Relic records for it later.
        ctx.log.debug(
          { uuid: (tryParseJson(text) as { uuid?: string } | undefined)?.uuid },
          'Event API accepted',
        )
        return { outcomes: outcomesForAll(items.length, { kind: 'delivered' }) }
      }
      if (res.statusCode === 413)
        return tooLargeResult(items.length, 'New Relic 413: payload too large', text)
      // 408, 429 (over 100k POSTs a minute) and 503 are retried, honouring Retry-After; 400, 403 (bad key)
      // and 415 are rejected.
      const outcome = outcomeForStatus({ status: res.statusCode, body: text, headers: res.headers })
      return { outcomes: outcomesForAll(items.length, outcome) }
    })
  },
})
