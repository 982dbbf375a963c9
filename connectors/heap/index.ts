import { type Static, Type } from '@sinclair/typebox'
import { defineHttpConnector } from '../../src/worker/http-connector.ts'
import { ConnectorSettings, EventNamingSetting, RegionSettings, regionUrl } from '../common/settings.ts'
import { type HeapEvent, toHeap } from './transform.ts'

// https://developers.heap.io/reference/track-1: "If your Heap data is in an EU datacenter, the correct endpoint
// is https://c.eu.heap-api.com/api/track (NOT heapanalytics.com)". Bulk track uses the same endpoint.
export const ENDPOINTS = {
  us: 'https://heapanalytics.com/api/track',
  eu: 'https://c.eu.heap-api.com/api/track',
} as const

// https://developers.heap.io/reference/bulk-track: "an events array of objects with a max of 1000 events per
// request". Heap documents no byte limit; 1 MB keeps requests moderate.
export const DEFAULTS = { max_events_per_request: 1000, max_request_bytes: 1_000_000 } as const

export const settingsSchema = ConnectorSettings({
  app_id: Type.String({
    pattern: '^[0-9]+$',
    description: 'Heap environment id (app_id), sent in the request body.',
  }),
  ...RegionSettings(['us', 'eu'], {
    region: 'Data center of the Heap account: us → heapanalytics.com, eu → c.eu.heap-api.com.',
    server_url: 'Full track URL overriding `region` (a proxy, or a stand-in in tests).',
  }),
  event_naming: EventNamingSetting(
    'Event name: "title" turns buffer_start into "Video Buffer Start"; "raw" keeps "buffer_start".',
  ),
  max_events_per_request: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: DEFAULTS.max_events_per_request,
    description: 'Events per bulk request (Heap documents 1000).',
  }),
  max_request_bytes: Type.Integer({
    minimum: 10_000,
    default: DEFAULTS.max_request_bytes,
    description: 'Request body size cap (Heap documents none).',
  }),
})
export type HeapSettings = Static<typeof settingsSchema>

/** Bytes of the body around the events: `{"app_id":"…","events":[]}`. */
function envelopeBytes(settings: HeapSettings): number {
  return Buffer.byteLength(JSON.stringify({ app_id: settings.app_id, events: [] }))
}

export default defineHttpConnector<HeapSettings, HeapEvent>({
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
  transform: (event, settings) => toHeap(event, settings),

  request(items, settings) {
    return {
      url: regionUrl(settings, ENDPOINTS),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ app_id: settings.app_id, events: items.map((item) => item.record) }),
    }
  },

  // No classify: Heap documents no error responses (https://developers.heap.io/reference/track-1,
  // https://developers.heap.io/reference/bulk-track), and its track API takes no credential (app_id is an
  // identifier in the body). The generic reading: 2xx delivered; 401/403 (a proxy in front of Heap) paused;
  // 408/429/5xx retried with Retry-After; other 4xx (a bad app_id, an invalid event) reject the whole
  // request, which names no event.
})
