import { type Static, Type } from '@sinclair/typebox'
import { defineHttpConnector } from '../../src/worker/http-connector.ts'
import { MAX_RESPONSE_BYTES } from '../../src/worker/http-outcome.ts'
import { ConnectorSettings, EventNamingSetting, RegionSettings, regionUrl } from '../common/settings.ts'
import { outcomesFor400, outcomesFor429 } from './response.ts'
import { type AmplitudeEvent, toAmplitude } from './transform.ts'

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

export const settingsSchema = ConnectorSettings({
  api_key: Type.String({
    minLength: 1,
    description:
      'Amplitude project API key (sent in the request body). Keep it out of the file: interpolate an environment variable (see README).',
  }),
  ...RegionSettings(['us', 'eu'], {
    region: 'Data residency: "us" → api2.amplitude.com, "eu" → api.eu.amplitude.com.',
    server_url: 'Full URL of the HTTP V2 endpoint, overriding `region` (proxies, stand-ins in tests).',
  }),
  event_naming: EventNamingSetting(
    'Amplitude event_type: "title" turns buffer_start into "Video Buffer Start"; "raw" keeps "buffer_start".',
  ),
  min_id_length: Type.Integer({
    minimum: 1,
    maximum: 1024,
    default: DEFAULT_MIN_ID_LENGTH,
    description:
      'Shortest user_id/device_id Amplitude accepts (sent as options.min_id_length when not 5). Shorter ids ' +
      'are not sent.',
  }),
  forward_client_ip: Type.Boolean({
    default: false,
    description:
      'Send the client IP (as stored by ingest) as the event "ip" so Amplitude derives location from it. ' +
      'Off by default for privacy.',
  }),
})
export type AmplitudeSettings = Static<typeof settingsSchema>

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

export default defineHttpConnector<AmplitudeSettings, AmplitudeEvent>({
  type: 'amplitude',
  description: 'Player events as Amplitude events through the HTTP V2 API (/2/httpapi).',
  settingsSchema,

  limits(settings) {
    // "Under 1 MB": one byte of headroom below MAX_REQUEST_BYTES for the whole body.
    return { maxItems: MAX_EVENTS, maxBytes: MAX_REQUEST_BYTES - 1 - envelopeBytes(settings) }
  },

  // Amplitude drops an event whose insert_id (= event_id) it saw in the last 7 days (HTTP V2 doc,
  // "Event deduplication").
  transform: (event, settings) => toAmplitude(event, settings),

  // Amplitude refuses an event without user_id or device_id (HTTP V2 doc, "Required keys"), and with it
  // the whole request: dead-letter such an event alone, with the reason, instead.
  refuse: ({ record }) =>
    record.user_id === undefined && record.device_id === undefined
      ? 'no usable user.id or user.anonymous_id: Amplitude needs a user or a device id'
      : undefined,

  request(items, settings) {
    const events = items.map((item) => item.record)
    return {
      url: regionUrl(settings, ENDPOINTS),
      // The HTTP V2 API validates Content-Type: application/json.
      headers: { 'content-type': 'application/json', accept: '*/*' },
      body: JSON.stringify({ api_key: settings.api_key, events, options: options(settings) }),
      maxResponseBytes: MAX_RESPONSE_BYTES,
    }
  },

  classify(res, items) {
    const records = items.map((item) => item.record)
    switch (res.statusCode) {
      case 400:
        return { outcomes: outcomesFor400(records, res.text) }
      case 429:
        return { outcomes: outcomesFor429(records, res.text, res.headers['retry-after']) }
      default:
        // 413 is split and resent; 500/502/504 "may or may not have been accepted" and 503 "not committed"
        // are retried, and insert_id keeps a retry of an ingested event from counting twice.
        return undefined
    }
  },
})
