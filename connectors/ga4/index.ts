import { type BatchItem, defineConnector, type Outcome, SKIP } from '../../src/worker/connector.ts'
import { bodyExcerpt, classifyStatus } from '../../src/worker/http-outcome.ts'
import { post } from '../common/post.ts'
import { excludeTypesSetting, httpUrlSetting } from '../common/settings.ts'
import { type Ga4Record, toGa4 } from './transform.ts'
import { ga4Problems } from './validate.ts'

export interface Ga4Settings {
  measurement_id: string
  api_secret: string
  region: 'global' | 'eu'
  server_url?: string
  exclude_types: string[]
  forward_client_ip: boolean
  max_events_per_request: number
  max_params_per_event: number
  max_param_value_length: number
  max_body_bytes: number
  max_event_age_hours: number
}

// https://developers.google.com/analytics/devguides/collection/protocol/ga4/reference#transport: EU collection
// uses region1.google-analytics.com.
export const HOSTS = {
  global: 'https://www.google-analytics.com',
  eu: 'https://region1.google-analytics.com',
} as const

// https://developers.google.com/analytics/devguides/collection/protocol/ga4/sending-events#limitations:
// 25 events per request, 25 params per event, values ≤ 100 characters (500 on GA4 360), post body smaller
// than 130 kB, timestamps within the last 72 hours.
export const DEFAULTS = {
  max_events_per_request: 25,
  max_params_per_event: 25,
  max_param_value_length: 100,
  max_body_bytes: 130_000,
  max_event_age_hours: 72,
} as const

/** Room kept in each request for the request-level fields (client_id, user_id, consent, device…). */
const REQUEST_FIELDS_BYTES = 2048

export const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['measurement_id', 'api_secret'],
  properties: {
    measurement_id: {
      type: 'string',
      pattern: '^G-[A-Za-z0-9]+$',
      description: 'Measurement ID of the web data stream (G-…), sent as the measurement_id query parameter.',
    },
    api_secret: {
      type: 'string',
      minLength: 1,
      description:
        'Measurement Protocol API secret of the stream, sent as the api_secret query parameter. Interpolate it from the environment.',
    },
    region: {
      type: 'string',
      enum: ['global', 'eu'],
      default: 'global',
      description:
        '"global" → www.google-analytics.com, "eu" → region1.google-analytics.com (data collected in the EU).',
    },
    server_url: httpUrlSetting(
      'Base URL replacing the region host (a proxy, or a stand-in in tests); /mp/collect is appended.',
    ),
    exclude_types: excludeTypesSetting('Event types not sent to GA4 (e.g. ["heartbeat", "media_request"]).'),
    forward_client_ip: {
      type: 'boolean',
      default: false,
      description:
        'Send the client IP stored by ingest as ip_override, for GA4 geolocation. Off for privacy.',
    },
    max_events_per_request: {
      type: 'integer',
      minimum: 1,
      default: DEFAULTS.max_events_per_request,
      description: 'Events per request (GA4 documents 25).',
    },
    max_params_per_event: {
      type: 'integer',
      minimum: 1,
      default: DEFAULTS.max_params_per_event,
      description: 'Params per event (GA4 documents 25); lower-priority params beyond it are not sent.',
    },
    max_param_value_length: {
      type: 'integer',
      minimum: 1,
      default: DEFAULTS.max_param_value_length,
      description:
        'Longest string param value: 100 for standard properties, 500 for GA4 360; longer values are cut.',
    },
    max_body_bytes: {
      type: 'integer',
      minimum: 4096,
      default: DEFAULTS.max_body_bytes,
      description: 'Request body size GA4 accepts ("smaller than 130kB").',
    },
    max_event_age_hours: {
      type: 'integer',
      minimum: 1,
      default: DEFAULTS.max_event_age_hours,
      description: 'Older events are rejected: GA4 would re-date them to 72 h ago or drop them.',
    },
  },
} as const

function collectUrl(settings: Ga4Settings): string {
  const base = (settings.server_url ?? HOSTS[settings.region]).replace(/\/+$/, '')
  const query = new URLSearchParams({
    measurement_id: settings.measurement_id,
    api_secret: settings.api_secret,
  })
  return `${base}/mp/collect?${query}`
}

type Ga4Item = BatchItem<Ga4Record> & { position: number }

/** One request per set of request-level fields: GA4 applies client_id, user_id, device… to all its events. */
function byRequestFields(items: Ga4Item[], maxEvents: number): Ga4Item[][] {
  const groups = new Map<string, Ga4Item[]>()
  for (const item of items) {
    const key = JSON.stringify(item.record.request)
    const list = groups.get(key)
    if (list) list.push(item)
    else groups.set(key, [item])
  }
  const requests: Ga4Item[][] = []
  for (const list of groups.values()) {
    for (let i = 0; i < list.length; i += maxEvents) requests.push(list.slice(i, i + maxEvents))
  }
  return requests
}

export default defineConnector<Ga4Settings, Ga4Record>({
  type: 'ga4',
  description: 'Player events as GA4 events through the Measurement Protocol (/mp/collect).',
  settingsSchema,

  limits(settings) {
    return {
      maxItems: settings.max_events_per_request,
      maxBytes: settings.max_body_bytes - 1 - REQUEST_FIELDS_BYTES,
    }
  },

  // GA4 has no idempotency key; event_id travels as a param so BigQuery-export queries can drop duplicates.
  dedupeKey: (event) => event.event_id,

  transform(event, settings) {
    if (settings.exclude_types.includes(event.type)) return SKIP
    return toGa4(event, settings)
  },

  recordBytes: (record) => Buffer.byteLength(JSON.stringify(record.event)) + 1,

  async send(batch, ctx) {
    const { settings } = ctx
    const outcomes: Outcome[] = new Array(batch.length)
    const valid: Ga4Item[] = []
    const now = Date.now()
    batch.forEach((item, position) => {
      const problems = ga4Problems(item.record, settings, now)
      if (problems.length > 0) {
        outcomes[position] = { kind: 'rejected', reason: `GA4 would drop this event: ${problems.join('; ')}` }
      } else {
        valid.push({ ...item, position })
      }
    })

    const url = collectUrl(settings)
    const requests = byRequestFields(valid, settings.max_events_per_request)
    const results = await Promise.allSettled(
      requests.map(async (items) => {
        const body = JSON.stringify({
          ...items[0]?.record.request,
          events: items.map((item) => item.record.event),
        })
        const res = await post(url, { headers: { 'content-type': 'application/json' }, body }, ctx)
        const text = res.text
        // "If you don't get a 2xx status code, correct any errors in your HTTP request. Don't retry the same
        // request." (reference, Transport). And with no dedupe key, a retried request GA4 had in fact
        // processed would count twice.
        const outcome: Outcome =
          classifyStatus(res.statusCode) === 'delivered'
            ? { kind: 'delivered' }
            : {
                kind: 'rejected',
                reason: `GA4 HTTP ${res.statusCode} (not retried, as GA4 advises)`,
                status: res.statusCode,
                body: bodyExcerpt(text),
              }
        return outcome
      }),
    )
    results.forEach((result, i) => {
      // A network error fails only its own request: the other requests' events were delivered and, without
      // a dedupe key at GA4, must not be sent again.
      const outcome: Outcome =
        result.status === 'fulfilled'
          ? result.value
          : {
              kind: 'retry',
              reason: result.reason instanceof Error ? result.reason.message : String(result.reason),
            }
      for (const item of requests[i] ?? []) outcomes[item.position] = { ...outcome }
    })
    return outcomes
  },
})
