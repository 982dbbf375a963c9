import { defineConnector, type Outcome, SKIP } from '../../src/worker/connector.ts'
import { outcomeForStatus, outcomesForAll } from '../../src/worker/http-outcome.ts'
import { compress } from '../common/compression.ts'
import { post } from '../common/post.ts'
import { sendPrechecked } from '../common/send-prechecked.ts'
import { excludeTypesSetting, httpUrlSetting } from '../common/settings.ts'
import { type DatadogLog, toDatadog } from './transform.ts'

export interface DatadogSettings {
  api_key: string
  site: (typeof SITES)[number]
  url?: string
  service: string
  ddsource: string
  hostname?: string
  tags: string[]
  compression: 'gzip' | 'none'
  exclude_types: string[]
}

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

export const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['api_key'],
  properties: {
    api_key: {
      type: 'string',
      minLength: 1,
      description:
        'Datadog API key, sent as the DD-API-KEY header. Keep it out of the file: interpolate an environment variable (see README).',
    },
    site: {
      type: 'string',
      enum: [...SITES],
      default: 'datadoghq.com',
      description:
        'Datadog site of the organisation; logs go to https://http-intake.logs.<site>/api/v2/logs.',
    },
    url: httpUrlSetting('Full intake URL overriding `site` (proxies, stand-ins in tests).'),
    service: {
      type: 'string',
      minLength: 1,
      default: 'framewire',
      description: 'Value of the `service` attribute of every log.',
    },
    ddsource: {
      type: 'string',
      minLength: 1,
      default: 'framewire',
      description: 'Value of `ddsource` (the integration name Datadog uses to pick a pipeline).',
    },
    hostname: {
      type: 'string',
      minLength: 1,
      description: 'Value of `hostname`; by default the name of the ingest node that received the event.',
    },
    tags: {
      type: 'array',
      items: { type: 'string', minLength: 1, pattern: '^[^,]+$' },
      default: [],
      description: 'Extra tags added to every log, e.g. ["env:prod", "team:video"].',
    },
    compression: {
      type: 'string',
      enum: ['gzip', 'none'],
      default: 'gzip',
      description: 'Request body encoding; Datadog recommends gzip.',
    },
    exclude_types: excludeTypesSetting('Event types not sent to Datadog (e.g. ["heartbeat"]).'),
  },
} as const

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

export default defineConnector<DatadogSettings, DatadogLog>({
  type: 'datadog',
  description: 'Player events as Datadog logs through the HTTP logs intake (/api/v2/logs).',
  settingsSchema,

  limits() {
    // The array brackets take 2 bytes; recordBytes counts each entry's separating comma.
    return { maxItems: MAX_ENTRIES, maxBytes: MAX_PAYLOAD_BYTES - 2 }
  },

  // Datadog does not deduplicate; the event_id attribute lets queries spot redeliveries.
  dedupeKey: (event) => event.event_id,

  transform(event, settings) {
    if (settings.exclude_types.includes(event.type)) return SKIP
    return toDatadog(event, settings)
  },

  recordBytes: (record) => Buffer.byteLength(JSON.stringify(record)) + 1,

  async send(batch, ctx) {
    const { settings } = ctx
    const oldest = Date.now() - MAX_AGE_MS
    const encoded = batch.map((item) => ({
      timestamp: item.record.timestamp,
      json: JSON.stringify(item.record),
    }))
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'dd-api-key': settings.api_key,
    }
    if (settings.compression === 'gzip') headers['content-encoding'] = 'gzip'

    // Refuse up front what Datadog would accept with a 2xx and then lose or damage.
    const refusal = (log: (typeof encoded)[number]) => {
      if (Buffer.byteLength(log.json) > MAX_LOG_BYTES) {
        return `log larger than ${MAX_LOG_BYTES} bytes: Datadog would truncate it`
      }
      if (log.timestamp < oldest)
        return 'event older than 18 h: Datadog accepts logs at most 18 h in the past'
      return undefined
    }

    return sendPrechecked(encoded, refusal, async (items) => {
      const json = `[${items.map((item) => item.json).join(',')}]`
      const res = await post(
        endpoint(settings),
        { headers, body: await compress(json, settings.compression) },
        ctx,
      )
      const text = res.text
      // 202 Accepted is Datadog's success; 408, 429 and 5xx are to be retried; 400, 401, 403 are not.
      const outcome = withRateLimitReset(
        outcomeForStatus({ status: res.statusCode, body: text, headers: res.headers }),
        res.headers,
      )
      return { outcomes: outcomesForAll(items.length, outcome), tooLarge: res.statusCode === 413 }
    })
  },
})
