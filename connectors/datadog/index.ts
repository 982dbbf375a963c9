import { type Static, Type } from '@sinclair/typebox'
import type { Outcome } from '../../src/worker/connector.ts'
import { defineHttpConnector, httpOutcomes } from '../../src/worker/http-connector.ts'
import { compress } from '../common/compression.ts'
import { ConnectorSettings, HttpUrl, StringEnum } from '../common/settings.ts'
import { type DatadogLog, toDatadog } from './transform.ts'

// https://docs.datadoghq.com/api/latest/logs/#send-logs: one intake host per site,
// https://http-intake.logs.<site>/api/v2/logs.
export const SITES = [
  'datadoghq.com',
  'us3.datadoghq.com',
  'us5.datadoghq.com',
  'datadoghq.eu',
  'ap1.datadoghq.com',
  'ap2.datadoghq.com',
  'uk1.datadoghq.com',
  'ddog-gov.com',
  'us2.ddog-gov.com',
] as const

// https://docs.datadoghq.com/api/latest/logs/#send-logs, limits per HTTP request: "Maximum content size per
// payload (uncompressed): 5MB", "Maximum size for a single log: 1MB", "Maximum array size if sending multiple
// logs in an array: 1000 entries". Decimal megabytes, to stay on the safe side.
export const MAX_ENTRIES = 1000
export const MAX_PAYLOAD_BYTES = 5_000_000
export const MAX_LOG_BYTES = 1_000_000
// Same page: "Log events can be submitted with a timestamp that is up to 18 hours in the past."
export const MAX_AGE_MS = 18 * 3600 * 1000

export const settingsSchema = ConnectorSettings({
  api_key: Type.String({
    minLength: 1,
    description:
      'Datadog API key, sent as the DD-API-KEY header. Keep it out of the file: interpolate an environment variable (see README).',
  }),
  site: StringEnum(SITES, {
    default: 'datadoghq.com',
    description: 'Datadog site of the organisation; logs go to https://http-intake.logs.<site>/api/v2/logs.',
  }),
  url: Type.Optional(HttpUrl('Full intake URL overriding `site` (proxies, stand-ins in tests).')),
  service: Type.String({
    minLength: 1,
    default: 'framewire',
    description: 'Value of the `service` attribute of every log.',
  }),
  ddsource: Type.String({
    minLength: 1,
    default: 'framewire',
    description: 'Value of `ddsource` (the integration name Datadog uses to pick a pipeline).',
  }),
  hostname: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'Value of `hostname`; by default the name of the ingest node that received the event.',
    }),
  ),
  tags: Type.Array(Type.String({ minLength: 1, pattern: '^[^,]+$' }), {
    default: [],
    description: 'Extra tags added to every log, e.g. ["env:prod", "team:video"].',
  }),
  compression: StringEnum(['gzip', 'none'] as const, {
    default: 'gzip',
    description: 'Request body encoding; Datadog recommends gzip.',
  }),
})
export type DatadogSettings = Static<typeof settingsSchema>

function endpoint(settings: DatadogSettings): string {
  return settings.url ?? `https://http-intake.logs.${settings.site}/api/v2/logs`
}

/** Retry-After, or Datadog's X-RateLimit-Reset (seconds until the window resets) on a 429. */
function withRateLimitReset(
  outcome: Outcome,
  headers: Record<string, string | string[] | undefined>,
): Outcome {
  if (outcome.kind !== 'retry' || outcome.afterMs !== undefined) return outcome
  const raw = headers['x-ratelimit-reset']
  const reset = Number(Array.isArray(raw) ? raw[0] : raw)
  return Number.isFinite(reset) && reset > 0 ? { ...outcome, afterMs: reset * 1000 } : outcome
}

/** Why a log must not go out: Datadog would answer 2xx and then truncate it, or not keep it. */
function refusal(record: DatadogLog, now: number): string | undefined {
  if (Buffer.byteLength(JSON.stringify(record)) > MAX_LOG_BYTES) {
    return `log larger than ${MAX_LOG_BYTES} bytes: Datadog would truncate it`
  }
  if (record.timestamp < now - MAX_AGE_MS) {
    return 'event older than 18 h: Datadog accepts logs at most 18 h in the past'
  }
  return undefined
}

export default defineHttpConnector<DatadogSettings, DatadogLog>({
  type: 'datadog',
  description: 'Player events as Datadog logs through the HTTP logs intake (/api/v2/logs).',
  settingsSchema,

  limits() {
    // The array brackets take 2 bytes; the default record size counts each entry's separating comma.
    return { maxItems: MAX_ENTRIES, maxBytes: MAX_PAYLOAD_BYTES - 2 }
  },

  // Datadog does not deduplicate; the event_id attribute lets queries spot redeliveries.
  transform: (event, settings) => toDatadog(event, settings),

  refuse: (item, _settings, now) => refusal(item.record, now),

  // zlib's async gzip runs on the libuv thread pool, off the event loop.
  async request(items, settings) {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'dd-api-key': settings.api_key,
    }
    if (settings.compression === 'gzip') headers['content-encoding'] = 'gzip'
    const json = `[${items.map((item) => JSON.stringify(item.record)).join(',')}]`
    return { url: endpoint(settings), headers, body: await compress(json, settings.compression) }
  },

  // https://docs.datadoghq.com/api/latest/logs/#send-logs, status codes: 202 accepted; 401 "likely a missing
  // API Key" and 403 "likely using an invalid API Key" pause (credentials); 408 and 429 "should be retried
  // after some time", as 5xx; 400 is rejected; 413 splits. Only the 429 wait is Datadog's own.
  classify(res, items) {
    const result = httpOutcomes(res, items.length)
    return { ...result, outcomes: result.outcomes.map((o) => withRateLimitReset(o, res.headers)) }
  },
})
