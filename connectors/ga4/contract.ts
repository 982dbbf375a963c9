import { httpFixture, idsOfJsonRequests } from '../../test/contract/http-faults.ts'
import { startGa4StandIn } from '../../test/stand-ins/ga4.ts'

const MEASUREMENT_ID = 'G-CONTRACT1'
const API_SECRET = 'contract-ga4-secret'
/** The suite's fault batches hold two viewers: two requests, since client_id is request-level. */
const REQUESTS_PER_BATCH = 2

export default httpFixture(
  () => startGa4StandIn({ measurementId: MEASUREMENT_ID, apiSecret: API_SECRET }),
  (s) => ({
    settings: { measurement_id: MEASUREMENT_ID, api_secret: API_SECRET, server_url: s.endpoint },
    // 429 and 5xx come from Google's front end, which did not take the request.
    throttle: (seconds) => s.script.failNext(REQUESTS_PER_BATCH, 429, { retryAfter: seconds }),
    unavailable: () => s.script.failNext(REQUESTS_PER_BATCH, 503),
    reset: () => s.script.resetNext(REQUESTS_PER_BATCH),
    refuseCredentials: {
      unsupported:
        'GA4 answers 2xx to a wrong api_secret or measurement_id and drops the events without a word ' +
        '(reference, "Response codes"): no answer says the credentials are refused',
    },
    requests: () => idsOfJsonRequests(s.received, (body) => body.events, 'params.event_id'),
    stored: async () => s.kept.map((e) => e.params.event_id as string),
    partial: {
      unsupported:
        '/mp/collect answers 2xx to every request it receives and reports nothing per event; what GA4 ' +
        'would drop is rejected before sending (validate.ts)',
    },
    oversized: {
      unsupported:
        'the transform keeps at most 25 params of at most 100 characters, so no event nears the 130 kB body limit',
    },
  }),
)
