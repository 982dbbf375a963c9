import { type Static, Type } from '@sinclair/typebox'
import { type BatchItem, defineConnector, type HttpCall, type Outcome } from '../../src/worker/connector.ts'
import { type HttpRequestSpec, type HttpResponse, sendHttp } from '../../src/worker/http-connector.ts'
import { bodyExcerpt, parseRetryAfter } from '../../src/worker/http-outcome.ts'
import { ConnectorSettings, RegionSettings, regionUrl } from '../common/settings.ts'
import { type Ga4Record, toGa4 } from './transform.ts'
import { ga4Problems } from './validate.ts'

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

export const settingsSchema = ConnectorSettings({
  measurement_id: Type.String({
    pattern: '^G-[A-Za-z0-9]+$',
    description: 'Measurement ID of the web data stream (G-…), sent as the measurement_id query parameter.',
  }),
  api_secret: Type.String({
    minLength: 1,
    description:
      'Measurement Protocol API secret of the stream, sent as the api_secret query parameter. Interpolate it from the environment.',
  }),
  ...RegionSettings(['global', 'eu'], {
    region:
      '"global" → www.google-analytics.com, "eu" → region1.google-analytics.com (data collected in the EU).',
    server_url:
      'Base URL replacing the region host (a proxy, or a stand-in in tests); /mp/collect is appended.',
  }),
  forward_client_ip: Type.Boolean({
    default: false,
    description: 'Send the client IP stored by ingest as ip_override, for GA4 geolocation. Off for privacy.',
  }),
  max_events_per_request: Type.Integer({
    minimum: 1,
    default: DEFAULTS.max_events_per_request,
    description: 'Events per request (GA4 documents 25).',
  }),
  max_params_per_event: Type.Integer({
    minimum: 1,
    default: DEFAULTS.max_params_per_event,
    description: 'Params per event (GA4 documents 25); lower-priority params beyond it are not sent.',
  }),
  max_param_value_length: Type.Integer({
    minimum: 1,
    default: DEFAULTS.max_param_value_length,
    description:
      'Longest string param value: 100 for standard properties, 500 for GA4 360; longer values are cut.',
  }),
  max_body_bytes: Type.Integer({
    minimum: 4096,
    default: DEFAULTS.max_body_bytes,
    description: 'Request body size GA4 accepts ("smaller than 130kB").',
  }),
  max_event_age_hours: Type.Integer({
    minimum: 1,
    default: DEFAULTS.max_event_age_hours,
    description: 'Older events are rejected: GA4 would re-date them to 72 h ago or drop them.',
  }),
})
export type Ga4Settings = Static<typeof settingsSchema>

function collectUrl(settings: Ga4Settings): string {
  const base = regionUrl(settings, HOSTS).replace(/\/+$/, '')
  const query = new URLSearchParams({
    measurement_id: settings.measurement_id,
    api_secret: settings.api_secret,
  })
  return `${base}/mp/collect?${query}`
}

/** One /mp/collect request and the batch positions of its events. */
interface Ga4Request {
  positions: number[]
  spec: HttpRequestSpec
}

/**
 * What a batch becomes: the outcomes of the events GA4 would drop (rejected before sending), and one
 * request per set of request-level fields (GA4 applies client_id, user_id, device… to all its events),
 * at most `max_events_per_request` events each.
 */
function prepare(batch: BatchItem<Ga4Record>[], settings: Ga4Settings, now: number) {
  const outcomes: Outcome[] = new Array(batch.length)
  const groups = new Map<string, number[]>()
  batch.forEach((item, position) => {
    const problems = ga4Problems(item.record, settings, now)
    if (problems.length > 0) {
      outcomes[position] = { kind: 'rejected', reason: `GA4 would drop this event: ${problems.join('; ')}` }
      return
    }
    const key = JSON.stringify(item.record.request)
    groups.set(key, [...(groups.get(key) ?? []), position])
  })
  const url = collectUrl(settings)
  const requests: Ga4Request[] = []
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i += settings.max_events_per_request) {
      const positions = group.slice(i, i + settings.max_events_per_request)
      const records = positions.map((position) => (batch[position] as BatchItem<Ga4Record>).record)
      const body = JSON.stringify({ ...records[0]?.request, events: records.map((r) => r.event) })
      requests.push({ positions, spec: { url, headers: { 'content-type': 'application/json' }, body } })
    }
  }
  return { outcomes, requests }
}

/**
 * GA4's answer for every event of one request. "The Measurement Protocol always returns a 2xx status code if
 * the HTTP request was received" (reference, "Response codes"): a 429 or 5xx comes from Google's front end,
 * which did not take the request, so a retry cannot count twice. Any other answer is an error in the
 * request itself: "correct any errors in your HTTP request. Don't retry the same request" (same page).
 * https://developers.google.com/analytics/devguides/collection/protocol/ga4/reference#transport
 */
export function outcomeOf(res: HttpResponse): Outcome {
  const status = res.statusCode
  if (status >= 200 && status < 300) return { kind: 'delivered' }
  if (status === 429 || (status >= 500 && status < 600)) {
    const outcome: Outcome = { kind: 'retry', reason: `GA4 HTTP ${status}: not taken, retried`, status }
    const afterMs = parseRetryAfter(res.headers['retry-after'])
    if (afterMs !== undefined) outcome.afterMs = afterMs
    return outcome
  }
  return {
    kind: 'rejected',
    reason: `GA4 HTTP ${status} (not retried, as GA4 advises)`,
    status,
    body: bodyExcerpt(res.text),
  }
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
  transform: (event, settings) => toGa4(event, settings),

  // Only the event counts against the byte limit; its request-level fields have their own room.
  recordBytes: (record) => Buffer.byteLength(JSON.stringify(record.event)) + 1,

  async plan(batch, settings) {
    return prepare(batch, settings, Date.now()).requests.map(
      ({ spec }): HttpCall => ({ kind: 'http', method: 'POST', ...spec }),
    )
  },

  async send(batch, ctx) {
    const { outcomes, requests } = prepare(batch, ctx.settings, Date.now())
    await Promise.all(
      requests.map(async ({ positions, spec }) => {
        // A network error fails only its own request: the other requests' events were delivered and,
        // without a dedupe key at GA4, must not be sent again.
        const outcome = await sendHttp(spec, ctx).then(outcomeOf, (error: unknown) => ({
          kind: 'retry' as const,
          reason: error instanceof Error ? error.message : String(error),
        }))
        for (const position of positions) outcomes[position] = { ...outcome }
      }),
    )
    return outcomes
  },
})
