import type { ContractFixture } from '../../test/contract/fixture.ts'
import { idsOfJsonRequests } from '../../test/contract/http-faults.ts'
import { googleError, startBigQueryStandIn } from '../../test/stand-ins/bigquery.ts'
import { dictionarySchema } from './schema.ts'

const PROJECT = 'contract-project'
const DATASET = 'telemetry'
const TABLE = 'events'
const TOKEN = 'ya29.contract-token'

const fixture: ContractFixture = {
  async start() {
    const s = await startBigQueryStandIn({ projectId: PROJECT, token: TOKEN, datasets: [DATASET] })
    s.createTable(DATASET, TABLE, dictionarySchema())
    return {
      settings: {
        project_id: PROJECT,
        dataset: DATASET,
        table: TABLE,
        api_endpoint: s.apiEndpoint,
        access_token: TOKEN,
      },
      // REST quota errors come back as 429 RESOURCE_EXHAUSTED (https://cloud.google.com/docs/quotas/troubleshoot).
      throttle: (seconds) =>
        s.script.failNext(1, 429, {
          retryAfter: seconds,
          body: googleError(429, 'rateLimitExceeded', 'Exceeded rate limits: too many api requests per user'),
        }),
      unavailable: () => s.script.failNext(1, 503),
      reset: () => s.script.resetNext(1),
      refuseCredentials: () =>
        s.script.failNext(1, 403, {
          body: googleError(
            403,
            'accessDenied',
            `Access Denied: Table ${PROJECT}:${DATASET}.${TABLE}: Permission bigquery.tables.updateData denied`,
          ),
        }),
      partial: { fail: (ids) => s.invalidate(ids), failed: 'rejected' },
      requests: () => idsOfJsonRequests(s.received, (body) => body.rows, 'insertId'),
      stored: async () => (s.table(DATASET, TABLE)?.rows ?? []).map((row) => row.insertId as string),
      stop: () => s.close(),
    }
  },
}
export default fixture
