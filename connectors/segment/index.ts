import { type Static, Type } from '@sinclair/typebox'
import { type Outcome, SKIP } from '../../src/worker/connector.ts'
import { defineHttpConnector } from '../../src/worker/http-connector.ts'
import { bodyExcerpt, outcomesForAll } from '../../src/worker/http-outcome.ts'
import { ConnectorSettings, RegionSettings, regionUrl, StringEnum } from '../common/settings.ts'
import { toSegment } from './transform.ts'
import type { SegmentTrack } from './video-spec.ts'

// https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/: "HTTP API sources in EU
// workspaces should use the events.eu1.segmentapis.com endpoint" (the US host accepts EU traffic silently and
// the events never appear).
export const ENDPOINTS = {
  us: 'https://api.segment.io/v1/batch',
  eu: 'https://events.eu1.segmentapis.com/v1/batch',
} as const

// Same page, "Max request size" and "Errors": "a maximum of 500KB per batch request and 32KB per call", "up to
// 2500 events" per batch (beyond it Segment answers 200 and drops the events). Decimal KB, the strictest reading.
export const DEFAULTS = { max_batch_events: 2500, max_batch_bytes: 500_000, max_event_bytes: 32_000 } as const

export const settingsSchema = ConnectorSettings({
  write_key: Type.String({
    minLength: 1,
    description:
      'Write key of the Segment HTTP API source (HTTP Basic user). Interpolate it from the environment.',
  }),
  ...RegionSettings(['us', 'eu'], {
    region: 'Workspace region: us → api.segment.io, eu → events.eu1.segmentapis.com.',
    server_url: 'Full /v1/batch URL overriding `region` (a proxy, or a stand-in in tests).',
  }),
  non_spec_events: StringEnum(['track', 'skip'] as const, {
    default: 'track',
    description:
      'Types without a Video Spec event (player_ready, error, milestone, ad breaks…): "track" sends them under ' +
      'the documented "Video …" names, "skip" leaves them out.',
  }),
  forward_client_ip: Type.Boolean({
    default: false,
    description: 'Send the client IP stored by ingest as context.ip. Off by default for privacy.',
  }),
  max_batch_events: Type.Integer({
    minimum: 1,
    default: DEFAULTS.max_batch_events,
    description: 'Events per batch request (Segment documents 2500).',
  }),
  max_batch_bytes: Type.Integer({
    minimum: 64_000,
    default: DEFAULTS.max_batch_bytes,
    description: 'Batch request size (Segment documents 500 KB).',
  }),
  max_event_bytes: Type.Integer({
    minimum: 1024,
    default: DEFAULTS.max_event_bytes,
    description: 'Largest event (Segment documents 32 KB); larger events are rejected before sending.',
  }),
})
export type SegmentSettings = Static<typeof settingsSchema>

/** `{"batch":[]}` around the events. */
const ENVELOPE_BYTES = Buffer.byteLength(JSON.stringify({ batch: [] }))

export default defineHttpConnector<SegmentSettings, SegmentTrack>({
  type: 'segment',
  description: 'Player events as Segment Video Spec track calls through the HTTP Tracking API (/v1/batch).',
  settingsSchema,

  limits(settings) {
    return { maxItems: settings.max_batch_events, maxBytes: settings.max_batch_bytes - ENVELOPE_BYTES }
  },

  // messageId = event_id: Segment deduplicates on messageId.
  transform: (event, settings) => toSegment(event, settings) ?? SKIP,

  // One oversize event makes Segment refuse the whole batch with a 400.
  refuse(item, settings) {
    const bytes = Buffer.byteLength(JSON.stringify(item.record))
    return bytes > settings.max_event_bytes
      ? `event of ${bytes} bytes: Segment accepts at most ${settings.max_event_bytes} per event`
      : undefined
  },

  request(items, settings) {
    const auth = `Basic ${Buffer.from(`${settings.write_key}:`).toString('base64')}`
    return {
      url: regionUrl(settings, ENDPOINTS),
      headers: { 'content-type': 'application/json', authorization: auth },
      body: `{"batch":[${items.map((item) => JSON.stringify(item.record)).join(',')}]}`,
    }
  },

  // "Segment returns a 200 response for all API requests except errors caused by large payloads and JSON
  // errors (which return 400 responses)" (HTTP API doc, "Errors"); the body is always JSON, so a 400 means
  // "too large": split, and a single event still refused is rejected. 429 waits for Retry-After (the same
  // seconds as X-RateLimit-Reset) and 5xx is retried, messageId making a repeat harmless: the generic
  // reading. Segment does not check write keys at the edge (an unknown key gets a 200 and its events are
  // dropped), so 401/403 come only from a proxy in front of it, and pause like any refused credential.
  classify(res, items) {
    if (res.statusCode !== 400) return undefined
    const refused: Outcome = {
      kind: 'rejected',
      reason: `Segment HTTP 400: ${bodyExcerpt(res.text, 200)}`,
      status: 400,
      body: bodyExcerpt(res.text),
    }
    return { tooLarge: true, outcomes: outcomesForAll(items.length, refused) }
  },
})
