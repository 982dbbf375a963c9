import { defineConnector, SKIP } from '../../src/worker/connector.ts'
import {
  bodyExcerpt,
  outcomeForStatus,
  outcomesForAll,
  sendSplittingOnTooLarge,
} from '../../src/worker/http-outcome.ts'
import type { EventNaming } from '../common/event-naming.ts'
import { post } from '../common/post.ts'
import { eventNamingSetting, excludeTypesSetting, httpUrlSetting } from '../common/settings.ts'
import { type HeapEvent, toHeap } from './transform.ts'

export interface HeapSettings {
  app_id: string
  region: 'us' | 'eu'
  server_url?: string
  event_naming: EventNaming
  exclude_types: string[]
  max_events_per_request: number
  max_request_bytes: number
}

// https://developers.heap.io/reference/track-1: "If your Heap data is in an EU datacenter, the correct endpoint
// is https://c.eu.heap-api.com/api/track (NOT heapanalytics.com)". Bulk track uses the same endpoint.
export const ENDPOINTS = {
  us: 'https://heapanalytics.com/api/track',
  eu: 'https://c.eu.heap-api.com/api/track',
} as const

// https://developers.heap.io/reference/bulk-track: "an events array of objects with a max of 1000 events per
// request". Heap documents no byte limit; 1 MB keeps requests moderate.
export const DEFAULTS = { max_events_per_request: 1000, max_request_bytes: 1_000_000 } as const

export const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['app_id'],
  properties: {
    app_id: {
      type: 'string',
      pattern: '^[0-9]+$',
      description: 'Heap environment id (app_id), sent in the request body.',
    },
    region: {
      type: 'string',
      enum: ['us', 'eu'],
      default: 'us',
      description: 'Data center of the Heap account: us → heapanalytics.com, eu → c.eu.heap-api.com.',
    },
    server_url: httpUrlSetting('Full track URL overriding `region` (a proxy, or a stand-in in tests).'),
    event_naming: eventNamingSetting(
      'Event name: "title" turns buffer_start into "Video Buffer Start"; "raw" keeps "buffer_start".',
    ),
    exclude_types: excludeTypesSetting(
      'Event types not sent to Heap. Heap takes 15,000 events per minute per app_id: consider ["heartbeat", "media_request"].',
    ),
    max_events_per_request: {
      type: 'integer',
      minimum: 1,
      maximum: 1000,
      default: DEFAULTS.max_events_per_request,
      description: 'Events per bulk request (Heap documents 1000).',
    },
    max_request_bytes: {
      type: 'integer',
      minimum: 10_000,
      default: DEFAULTS.max_request_bytes,
      description: 'Request body size cap (Heap documents none).',
    },
  },
} as const

function endpoint(settings: HeapSettings): string {
  return settings.server_url ?? ENDPOINTS[settings.region]
}

/** Bytes of the body around the events: `{"app_id":"…","events":[]}`. */
function envelopeBytes(settings: HeapSettings): number {
  return Buffer.byteLength(JSON.stringify({ app_id: settings.app_id, events: [] }))
}

export default defineConnector<HeapSettings, HeapEvent>({
  type: 'heap',
  description: 'Player events as Heap custom events through the server-side (bulk) track API.',
  settingsSchema,

  limits(settings) {
    return {
      maxItems: settings.max_events_per_request,
      maxBytes: settings.max_request_bytes - envelopeBytes(settings),
    }
  },

  // idempotency_key = event_id: "Subsequent calls with the same idempotency key will not update data".
  dedupeKey: (event) => event.event_id,

  transform(event, settings) {
    if (settings.exclude_types.includes(event.type)) return SKIP
    return toHeap(event, settings)
  },

  recordBytes: (record) => Buffer.byteLength(JSON.stringify(record)) + 1,

  async send(batch, ctx) {
    const { settings } = ctx
    const url = endpoint(settings)
    return sendSplittingOnTooLarge(batch, async (items) => {
      const res = await post(
        url,
        {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ app_id: settings.app_id, events: items.map((item) => item.record) }),
        },
        ctx,
      )
      const text = res.text
      // Heap documents no error responses: 2xx delivered; 408/429/5xx retried (Retry-After honoured);
      // other 4xx (bad app_id, an invalid event) reject the whole request, which names no event.
      const outcome = outcomeForStatus({ status: res.statusCode, body: text, headers: res.headers })
      if (outcome.kind === 'rejected')
        outcome.reason = `Heap HTTP ${res.statusCode}: ${bodyExcerpt(text, 200)}`
      return { outcomes: outcomesForAll(items.length, outcome), tooLarge: res.statusCode === 413 }
    })
  },
})
