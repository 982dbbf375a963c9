import { type Static, Type } from '@sinclair/typebox'
import { defineHttpConnector } from '../../src/worker/http-connector.ts'
import { compress } from '../common/compression.ts'
import { ConnectorSettings, HttpUrl, StringEnum } from '../common/settings.ts'
import { type NewRelicEvent, toNewRelic } from './transform.ts'

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

export const settingsSchema = ConnectorSettings({
  account_id: Type.String({
    pattern: '^[0-9]{1,20}$',
    description: 'New Relic account ID the events are reported to (part of the Event API URL).',
  }),
  api_key: Type.String({
    minLength: 1,
    description:
      'A license key (ingest key of type License) of that account; Browser, Mobile and User keys are refused ' +
      'with 403. Keep it out of the file: interpolate an environment variable.',
  }),
  key_type: StringEnum(['license', 'insert'] as const, {
    default: 'license',
    description:
      '"license" sends the key as Api-Key (current docs); "insert" sends a legacy Insights insert key as X-Insert-Key.',
  }),
  region: StringEnum(['us', 'eu'] as const, {
    default: 'us',
    description:
      'Data center of the account: "us" → insights-collector.newrelic.com, "eu" → insights-collector.eu01.nr-data.net.',
  }),
  url: Type.Optional(
    HttpUrl(
      'Collector base URL overriding `region` (a proxy, FedRAMP gov-insights-collector.newrelic.com, a stand-in in ' +
        'tests); /v1/accounts/<account_id>/events is appended.',
    ),
  ),
  event_type: Type.String({
    // Letters, digits, "_" and ":"; Metric*, MetricRaw and Public_* are reserved and dropped by New Relic.
    pattern: '^(?!Metric(?:Raw)?$|Metric[0-9]|Public_)[A-Za-z][A-Za-z0-9_:]{0,254}$',
    default: 'FramewireVideoEvent',
    description:
      'eventType of every event (the NRQL table: FROM FramewireVideoEvent). One type for all player events: ' +
      'an account may hold at most 250 event types.',
  }),
  compression: StringEnum(['gzip', 'deflate', 'none'] as const, {
    default: 'gzip',
    description: 'Request body encoding; New Relic asks to always compress.',
  }),
  max_payload_bytes: Type.Integer({
    minimum: 1024,
    maximum: MAX_PAYLOAD_BYTES,
    default: MAX_PAYLOAD_BYTES,
    description: 'Largest request in bytes, counted uncompressed (New Relic: 1 MB per POST).',
  }),
})
export type NewRelicSettings = Static<typeof settingsSchema>

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

export default defineHttpConnector<NewRelicSettings, NewRelicEvent>({
  type: 'newrelic',
  description: 'Player events as New Relic custom events through the Event API (/v1/accounts/<id>/events).',
  settingsSchema,

  limits(settings) {
    // The array brackets take 2 bytes; the default record size counts each event's separating comma.
    return { maxItems: MAX_EVENTS, maxBytes: settings.max_payload_bytes - 2 }
  },

  // New Relic does not deduplicate; event_id is an attribute, so duplicates show up in NRQL.
  transform: (event, settings) => toNewRelic(event, settings.event_type),

  // Parsing is asynchronous: New Relic answers 200 and drops invalid events later (NrIntegrationError),
  // so what it would drop is refused here, where it still reaches the dead-letter topic.
  refuse: (item, _settings, now) => dropReason(item.record, now),

  async request(items, settings) {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    headers[settings.key_type === 'insert' ? 'x-insert-key' : 'api-key'] = settings.api_key
    if (settings.compression !== 'none') headers['content-encoding'] = settings.compression
    const json = `[${items.map((item) => JSON.stringify(item.record)).join(',')}]`
    return { url: endpoint(settings), headers, body: await compress(json, settings.compression) }
  },

  // No classify: the generic reading is New Relic's
  // (https://docs.newrelic.com/docs/data-apis/ingest-apis/event-api/introduction-event-api/, response codes):
  // 403 (a missing or invalid key, a Browser/Mobile/User key, another account's key) pauses for
  // credentials; 408, 429 (over 100k POSTs a minute) and 503 are retried with Retry-After; 413 splits;
  // 400 and 415 are rejected.
})
