import { gunzipSync } from 'node:zlib'
import type { ContractFixture } from '../../test/contract/fixture.ts'
import { httpFaults } from '../../test/contract/http-faults.ts'
import { splitConcatenatedJson, startSplunkStandIn } from '../../test/stand-ins/splunk.ts'

const TOKEN = '7d3c6a2e-1b4f-4e8a-9c5d-2f1e0a9b8c7d'
/** [http_input] max_content_length: the suite's oversized record passes it and is answered 413. */
const MAX_CONTENT_LENGTH = 1_000_000

const fixture: ContractFixture = {
  async start() {
    // Indexer acknowledgment on, with the stand-in's realistic indexing lag.
    const s = await startSplunkStandIn({ token: TOKEN, ack: true, maxContentLength: MAX_CONTENT_LENGTH })
    return {
      settings: {
        url: s.url,
        token: TOKEN,
        use_ack: true,
        max_request_bytes: MAX_CONTENT_LENGTH,
        // The suite reads planned bodies as text, and HEC measures max_content_length on the wire; gzip is
        // covered by splunk.test.ts.
        compression: 'none',
      },
      ...httpFaults(s.script),
      // A token revoked or disabled in Splunk: 403 code 4 "Invalid token" (TroubleshootHTTPEventCollector).
      refuseCredentials: () => s.script.failNext(1, 403, { body: { text: 'Invalid token', code: 4 } }),
      requests: () =>
        s.received
          .filter((r) => r.url === '/services/collector/event')
          .map((r) => {
            const raw = r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.rawBody) : r.rawBody
            const envelopes = splitConcatenatedJson(raw.toString('utf8')) as {
              event?: { event_id?: string }
            }[]
            return { ids: envelopes.flatMap((e) => (e?.event?.event_id ? [e.event.event_id] : [])) }
          }),
      stored: async () => s.indexed.flatMap((e) => (e.event_id ? [e.event_id] : [])),
      partial: {
        unsupported:
          'HEC names the refused event (invalid-event-number) but not what became of the events before it; ' +
          'the connector sends those again, a possible duplicate rather than a loss, which this check counts',
      },
      stop: () => s.close(),
    }
  },
}
export default fixture
