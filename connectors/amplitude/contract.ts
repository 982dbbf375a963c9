import { httpFixture, idsOfJsonRequests } from '../../test/contract/http-faults.ts'
import { startAmplitudeStandIn } from '../../test/stand-ins/amplitude.ts'

const API_KEY = 'contract-amplitude-key'

export default httpFixture(
  () => startAmplitudeStandIn({ apiKey: API_KEY }),
  (s) => ({
    settings: { api_key: API_KEY, server_url: s.endpoint },
    // A revoked key: Amplitude answers 400 "Invalid API key" (HTTP V2 doc, "Response format").
    refuseCredentials: () => s.script.failNext(1, 400, { body: { code: 400, error: 'Invalid API key' } }),
    requests: () => idsOfJsonRequests(s.received, (body) => body.events, 'insert_id'),
    stored: async () => s.ingested.map((e) => e.insert_id as string),
    partial: { fail: (ids) => s.invalidate(ids), failed: 'rejected' },
    oversized: {
      unsupported: 'the transform cuts every string to 1,024 characters, so no event exceeds 1 MB',
    },
  }),
)
