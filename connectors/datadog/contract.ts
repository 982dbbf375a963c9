import { httpFixture, idsOfJsonRequests } from '../../test/contract/http-faults.ts'
import { startDatadogStandIn } from '../../test/stand-ins/datadog.ts'

const API_KEY = 'contract-datadog-key'

export default httpFixture(
  () => startDatadogStandIn({ apiKey: API_KEY }),
  (s) => ({
    settings: { api_key: API_KEY, url: s.endpoint },
    // A revoked key: 403 "Permission issue (likely using an invalid API Key)"
    // (https://docs.datadoghq.com/api/latest/logs/#send-logs, status codes).
    refuseCredentials: () => s.script.failNext(1, 403, { body: { errors: ['Forbidden'] } }),
    // The body is a bare JSON array of logs.
    requests: () => idsOfJsonRequests(s.received, (body) => body, 'event_id'),
    stored: async () => s.logs.map((l) => l.event_id as string),
    partial: { unsupported: 'the logs intake takes or refuses a request whole: it has no per-log answer' },
  }),
)
