import { httpFixture, idsOfJsonRequests } from '../../test/contract/http-faults.ts'
import { startSegmentStandIn } from '../../test/stand-ins/segment.ts'

const WRITE_KEY = 'contract-segment-write-key'

export default httpFixture(
  () => startSegmentStandIn({ writeKey: WRITE_KEY }),
  (s) => ({
    settings: { write_key: WRITE_KEY, server_url: s.endpoint },
    refuseCredentials: {
      unsupported:
        'Segment does not check write keys at the edge: an unknown key gets a 200 and its events are dropped ' +
        '(HTTP API doc, "Errors"), so there is no refusal to read',
    },
    requests: () => idsOfJsonRequests(s.received, (body) => body.batch, 'messageId'),
    stored: async () => s.accepted.map((a) => a.message.messageId as string),
    partial: {
      unsupported:
        '/v1/batch answers the whole request: 200, or 400 for its size or JSON; no per-event answer',
    },
  }),
)
