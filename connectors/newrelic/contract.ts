import { httpFixture, idsOfJsonRequests } from '../../test/contract/http-faults.ts'
import { startNewRelicStandIn } from '../../test/stand-ins/newrelic.ts'

const ACCOUNT = '1234567'
const LICENSE = 'contract0123456789abcdef0123456789NRAL'

export default httpFixture(
  () => startNewRelicStandIn({ accountId: ACCOUNT, licenseKey: LICENSE }),
  (s) => ({
    settings: { account_id: ACCOUNT, api_key: LICENSE, url: s.url },
    // A revoked license key: the Event API answers 403.
    refuseCredentials: () =>
      s.script.failNext(1, 403, { body: { success: false, error: 'Invalid license key' } }),
    requests: () => idsOfJsonRequests(s.received, (body) => body, 'event_id'),
    stored: async () => s.events.map((e) => e.event_id as string),
    partial: {
      unsupported:
        'the Event API answers 200 for the whole request and drops bad events later (NrIntegrationError): ' +
        'there is no per-event answer to read',
    },
    oversized: {
      unsupported:
        "the transform cuts every value to 4,096 characters, so the suite's padded event stays far under 1 MB",
    },
  }),
)
