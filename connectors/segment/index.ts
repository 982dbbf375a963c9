import { defineConnector, SKIP } from '../../src/worker/connector.ts'
import { bodyExcerpt, outcomeForStatus, outcomesForAll } from '../../src/worker/http-outcome.ts'
import { post } from '../common/post.ts'
import { sendPrechecked } from '../common/send-prechecked.ts'
import { excludeTypesSetting, httpUrlSetting } from '../common/settings.ts'
import { toSegment } from './transform.ts'
import type { SegmentTrack } from './video-spec.ts'

export interface SegmentSettings {
  write_key: string
  region: 'us' | 'eu'
  server_url?: string
  exclude_types: string[]
  non_spec_events: 'track' | 'skip'
  forward_client_ip: boolean
  max_batch_events: number
  max_batch_bytes: number
  max_event_bytes: number
}

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

export const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['write_key'],
  properties: {
    write_key: {
      type: 'string',
      minLength: 1,
      description:
        'Write key of the Segment HTTP API source (HTTP Basic user). Interpolate it from the environment.',
    },
    region: {
      type: 'string',
      enum: ['us', 'eu'],
      default: 'us',
      description: 'Workspace region: us → api.segment.io, eu → events.eu1.segmentapis.com.',
    },
    server_url: httpUrlSetting('Full /v1/batch URL overriding `region` (a proxy, or a stand-in in tests).'),
    exclude_types: excludeTypesSetting('Event types not sent to Segment (e.g. ["media_request"]).'),
    non_spec_events: {
      type: 'string',
      enum: ['track', 'skip'],
      default: 'track',
      description:
        'Types without a Video Spec event (player_ready, error, milestone, ad breaks…): "track" sends them under ' +
        'the documented "Video …" names, "skip" leaves them out.',
    },
    forward_client_ip: {
      type: 'boolean',
      default: false,
      description: 'Send the client IP stored by ingest as context.ip. Off by default for privacy.',
    },
    max_batch_events: {
      type: 'integer',
      minimum: 1,
      default: DEFAULTS.max_batch_events,
      description: 'Events per batch request (Segment documents 2500).',
    },
    max_batch_bytes: {
      type: 'integer',
      minimum: 64_000,
      default: DEFAULTS.max_batch_bytes,
      description: 'Batch request size (Segment documents 500 KB).',
    },
    max_event_bytes: {
      type: 'integer',
      minimum: 1024,
      default: DEFAULTS.max_event_bytes,
      description: 'Largest event (Segment documents 32 KB); larger events are rejected before sending.',
    },
  },
} as const

/** `{"batch":[]}` around the events. */
const ENVELOPE_BYTES = Buffer.byteLength(JSON.stringify({ batch: [] }))

function endpoint(settings: SegmentSettings): string {
  return settings.server_url ?? ENDPOINTS[settings.region]
}

export default defineConnector<SegmentSettings, SegmentTrack>({
  type: 'segment',
  description: 'Player events as Segment Video Spec track calls through the HTTP Tracking API (/v1/batch).',
  settingsSchema,

  limits(settings) {
    return { maxItems: settings.max_batch_events, maxBytes: settings.max_batch_bytes - ENVELOPE_BYTES }
  },

  // messageId = event_id: Segment deduplicates on messageId.
  dedupeKey: (event) => event.event_id,

  transform(event, settings) {
    if (settings.exclude_types.includes(event.type)) return SKIP
    return toSegment(event, settings) ?? SKIP
  },

  recordBytes: (record) => Buffer.byteLength(JSON.stringify(record)) + 1,

  async send(batch, ctx) {
    const { settings } = ctx
    const jsons = batch.map((item) => JSON.stringify(item.record))
    // One oversize event makes Segment refuse the whole batch with a 400.
    const refusal = (json: string) => {
      const bytes = Buffer.byteLength(json)
      return bytes > settings.max_event_bytes
        ? `event of ${bytes} bytes: Segment accepts at most ${settings.max_event_bytes} per event`
        : undefined
    }

    const url = endpoint(settings)
    const auth = `Basic ${Buffer.from(`${settings.write_key}:`).toString('base64')}`
    return sendPrechecked(jsons, refusal, async (items) => {
      const res = await post(
        url,
        {
          headers: { 'content-type': 'application/json', authorization: auth },
          body: `{"batch":[${items.join(',')}]}`,
        },
        ctx,
      )
      const text = res.text
      // 200 for everything Segment takes in, even events it then drops (the transform always sets an event
      // name and an anonymousId); 429 with Retry-After (the same seconds as X-RateLimit-Reset); 5xx retried,
      // messageId making a repeat harmless. Segment's 400 means "too large" or "not JSON", and the body is
      // always JSON: the batch is split, and a single event still refused is rejected.
      const outcome = outcomeForStatus({ status: res.statusCode, body: text, headers: res.headers })
      if (outcome.kind === 'rejected')
        outcome.reason = `Segment HTTP ${res.statusCode}: ${bodyExcerpt(text, 200)}`
      return {
        outcomes: outcomesForAll(items.length, outcome),
        tooLarge: res.statusCode === 400 || res.statusCode === 413,
      }
    })
  },
})
