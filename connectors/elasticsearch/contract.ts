import type { ContractFixture, SentRequest } from '../../test/contract/fixture.ts'
import { httpFaults, refuse401 } from '../../test/contract/http-faults.ts'
import { type Flavor, startElasticsearchStandIn } from '../../test/stand-ins/elasticsearch.ts'
import type { RecordedRequest } from '../../test/stand-ins/recorder.ts'

/** Small enough that the suite's oversized record passes it: the cluster answers 413, as it would. */
const MAX_CONTENT_LENGTH = 1_000_000

/** The `_id`s of the action lines of uncompressed NDJSON `_bulk` requests. */
function bulkIds(received: RecordedRequest[]): SentRequest[] {
  return received.map((request) => ({
    ids: request.rawBody
      .toString('utf8')
      .split('\n')
      .filter((_, i) => i % 2 === 0)
      .flatMap((line) => {
        const id = line === '' ? undefined : (JSON.parse(line) as { create?: { _id?: unknown } }).create?._id
        return typeof id === 'string' ? [id] : []
      }),
  }))
}

/** The contract fixture of a `_bulk` connector against the stand-in in `flavor`, with basic auth. */
export function bulkFixture(flavor: Flavor): ContractFixture {
  return {
    async start() {
      const basic = { username: 'contract', password: 'contract-secret' }
      const s = await startElasticsearchStandIn({ flavor, basic, maxContentLength: MAX_CONTENT_LENGTH })
      return {
        settings: { url: s.url, ...basic, max_request_bytes: MAX_CONTENT_LENGTH },
        ...httpFaults(s.script),
        // 401 security_exception, as for a wrong password or a revoked API key.
        refuseCredentials: refuse401(s.script),
        requests: () => bulkIds(s.received),
        stored: async () => s.documents.map((d) => d.id),
        // An item answered 429 es_rejected_execution_exception (a full write queue) is retried alone.
        partial: {
          fail: (ids) => {
            for (const id of ids) s.failItem(id, { status: 429 })
          },
          failed: 'retry',
        },
        stop: () => s.close(),
      }
    },
  }
}

export default bulkFixture('elasticsearch')
