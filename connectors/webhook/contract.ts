import { randomBytes } from 'node:crypto'
import type { ContractFixture } from '../../test/contract/fixture.ts'
import { httpFaults, idsOfJsonRequests, refuse401 } from '../../test/contract/http-faults.ts'
import { startWebhookStandIn } from '../../test/stand-ins/webhook.ts'

const SECRET = `whsec_${randomBytes(32).toString('base64')}`
const MAX_BODY_BYTES = 1_000_000

const fixture: ContractFixture = {
  async start() {
    // The receiver's body limit is the connector's: a larger event gets the receiver's 413.
    const s = await startWebhookStandIn({ secret: SECRET, maxBodyBytes: MAX_BODY_BYTES })
    return {
      settings: { url: s.endpoint, secret: SECRET, max_body_bytes: MAX_BODY_BYTES },
      ...httpFaults(s.script),
      // A receiver refusing the signature (a rotated secret) or its bearer token answers 401.
      refuseCredentials: refuse401(s.script),
      requests: () => idsOfJsonRequests(s.received, (body) => body.events, 'event_id'),
      stored: async () => s.events.map((e) => e.event_id),
      partial: {
        unsupported: 'Standard Webhooks has no per-event answer: a receiver takes or refuses a request whole',
      },
      stop: () => s.close(),
    }
  },
}
export default fixture
