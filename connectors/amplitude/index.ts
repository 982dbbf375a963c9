import { defineConnector, SKIP } from '../../src/worker/connector.ts'
import {
  MAX_RESPONSE_BYTES,
  outcomeForStatus,
  outcomesForAll,
  sendSplittingOnTooLarge,
} from '../../src/worker/http-outcome.ts'
import type { EventNaming } from '../common/event-naming.ts'
import { post } from '../common/post.ts'
import { eventNamingSetting, excludeTypesSetting, httpUrlSetting } from '../common/settings.ts'
import { tooLargeResult } from '../common/too-large.ts'
import { outcomesFor400, outcomesFor429 } from './response.ts'
import { type AmplitudeEvent, toAmplitude } from './transform.ts'

export interface AmplitudeSettings {
  api_key: string
  region: 'us' | 'eu'
  server_url?: string
  event_naming: EventNaming
  exclude_types: string[]
  min_id_length: number
  forward_client_ip: boolean
}

// https://amplitude.com/docs/apis/analytics/http-v2 ("Regions" / "Endpoints").
export const ENDPOINTS = {
  us: 'https://api2.amplitude.com/2/httpapi',
  eu: 'https://api.eu.amplitude.com/2/httpapi',
} as const

// https://amplitude.com/docs/apis/analytics/http-v2 ("Upload limit"): "Keep request sizes under 1 MB with
// fewer than 2000 events per request. When you exceed these size limits, you get a 413 error." The newest
// version of the page says "up to 2,000 events", counted after gzip decompression.
export const MAX_EVENTS = 2000
export const MAX_REQUEST_BYTES = 1_000_000
// Same page: min_id_length defaults to 5 for user_id and device_id.
export const DEFAULT_MIN_ID_LENGTH = 5

export const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['api_key'],
  properties: {
    api_key: {
      type: 'string',
      minLength: 1,
      description:
        'Amplitude project API key (sent in the request body). Keep it out of the file: interpolate an environment variable (see README).',
    },
    region: {
      type: 'string',
      enum: ['us', 'eu'],
      default: 'us',
      description: 'Data residency: "us" → api2.amplitude.com, "eu" → api.eu.amplitude.com.',
    },
    server_url: httpUrlSetting(
      'Full URL of the HTTP V2 endpoint, overriding `region` (proxies, stand-ins in tests).',
    ),
    event_naming: eventNamingSetting(
      'Amplitude event_type: "title" turns buffer_start into "Video Buffer Start"; "raw" keeps "buffer_start".',
    ),
    exclude_types: excludeTypesSetting(
      'Event types not sent to Amplitude. Consider ["heartbeat"]: heartbeats count against the event volume ' +
        'and the per-device throughput limit without adding much product insight.',
    ),
    min_id_length: {
      type: 'integer',
      minimum: 1,
      maximum: 1024,
      default: DEFAULT_MIN_ID_LENGTH,
      description:
        'Shortest user_id/device_id Amplitude accepts (sent as options.min_id_length when not 5). Shorter ids ' +
        'are not sent.',
    },
    forward_client_ip: {
      type: 'boolean',
      default: false,
      description:
        'Send the client IP (as stored by ingest) as the event "ip" so Amplitude derives location from it. ' +
        'Off by default for privacy.',
    },
  },
} as const

function endpoint(settings: AmplitudeSettings): string {
  return settings.server_url ?? ENDPOINTS[settings.region]
}

function options(settings: AmplitudeSettings): { min_id_length: number } | undefined {
  return settings.min_id_length === DEFAULT_MIN_ID_LENGTH
    ? undefined
    : { min_id_length: settings.min_id_length }
}

/** Bytes of the request body around the events (api_key, options, brackets). */
function envelopeBytes(settings: AmplitudeSettings): number {
  return Buffer.byteLength(
    JSON.stringify({ api_key: settings.api_key, events: [], options: options(settings) }),
  )
}

export default defineConnector<AmplitudeSettings, AmplitudeEvent>({
  type: 'amplitude',
  description: 'Player events as Amplitude events through the HTTP V2 API (/2/httpapi).',
  settingsSchema,

  limits(settings) {
    // "Under 1 MB": one byte of headroom below MAX_REQUEST_BYTES for the whole body.
    return { maxItems: MAX_EVENTS, maxBytes: MAX_REQUEST_BYTES - 1 - envelopeBytes(settings) }
  },

  // Amplitude drops an event whose insert_id it saw in the last 7 days (HTTP V2 doc, "Event deduplication").
  dedupeKey: (event) => event.event_id,

  transform(event, settings) {
    if (settings.exclude_types.includes(event.type)) return SKIP
    return toAmplitude(event, settings)
  },

  // JSON bytes plus the separating comma.
  recordBytes: (record) => Buffer.byteLength(JSON.stringify(record)) + 1,

  async send(batch, ctx) {
    const { settings } = ctx
    const url = endpoint(settings)
    return sendSplittingOnTooLarge(batch, async (items) => {
      const records = items.map((item) => item.record)
      const body = JSON.stringify({ api_key: settings.api_key, events: records, options: options(settings) })
      const res = await post(
        url,
        {
          // The HTTP V2 API validates Content-Type: application/json.
          headers: { 'content-type': 'application/json', accept: '*/*' },
          body,
          maxResponseBytes: MAX_RESPONSE_BYTES,
        },
        ctx,
      )
      const text = res.text
      switch (res.statusCode) {
        case 200:
          return { outcomes: outcomesForAll(items.length, { kind: 'delivered' }) }
        case 400:
          return { outcomes: outcomesFor400(records, text) }
        case 413:
          // Split and resend (sendSplittingOnTooLarge); a single event that is still too large is rejected.
          return tooLargeResult(items.length, 'Amplitude 413: payload too large', text)
        case 429:
          return { outcomes: outcomesFor429(records, text, res.headers['retry-after']) }
        default:
          // 500/502/504 "may or may not have been accepted" and 503 "not committed": both are retried, and
          // insert_id keeps a retry of an already ingested event from counting twice.
          return {
            outcomes: outcomesForAll(
              items.length,
              outcomeForStatus({ status: res.statusCode, body: text, headers: res.headers }),
            ),
          }
      }
    })
  },
})
