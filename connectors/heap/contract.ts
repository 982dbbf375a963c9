import { httpFixture, idsOfJsonRequests } from '../../test/contract/http-faults.ts'
import { startHeapStandIn } from '../../test/stand-ins/heap.ts'

const APP_ID = '2718281828'

export default httpFixture(
  () => startHeapStandIn({ appId: APP_ID }),
  (s) => ({
    settings: { app_id: APP_ID, server_url: s.endpoint },
    refuseCredentials: {
      unsupported:
        'the track API takes no credential: app_id is an identifier in the body, and Heap documents no ' +
        'refusal (developers.heap.io/reference/track-1)',
    },
    requests: () => idsOfJsonRequests(s.received, (body) => body.events, 'idempotency_key'),
    stored: async () => s.stored.map((e) => e.event.idempotency_key as string),
    partial: {
      unsupported:
        'Heap answers a bulk request whole: an invalid event fails it all, and the answer names none',
    },
    oversized: {
      unsupported:
        "the transform cuts every property to 1,023 characters, so the suite's padded event stays far under 1 MB",
    },
  }),
)
