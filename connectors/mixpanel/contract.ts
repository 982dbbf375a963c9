import { httpFixture, idsOfJsonRequests } from '../../test/contract/http-faults.ts'
import { startMixpanelStandIn } from '../../test/stand-ins/mixpanel.ts'

const PROJECT = '1618033'
const USER = 'contract.sa'
const SECRET = 'contract-mixpanel-secret'

export default httpFixture(
  () => startMixpanelStandIn({ projectId: PROJECT, username: USER, secret: SECRET }),
  (s) => ({
    settings: {
      project_id: PROJECT,
      service_account_username: USER,
      service_account_secret: SECRET,
      server_url: s.endpoint,
      // The suite reads planned bodies as text; gzip is covered by mixpanel.test.ts.
      compression: 'none',
    },
    // A revoked service account (https://docs.mixpanel.com/troubleshooting/errors/401-unauthorized).
    refuseCredentials: () =>
      s.script.failNext(1, 401, {
        body: { code: 401, error: 'Invalid credentials', status: 'Unauthorized' },
      }),
    // The body is a JSON array of events.
    requests: () => idsOfJsonRequests(s.received, (body) => body, 'properties.$insert_id'),
    stored: async () => s.ingested.map((e) => e.properties.$insert_id as string),
    // strict=1: the invalid events are listed in failed_records of a 400, the others ingested.
    partial: { fail: (ids) => s.invalidate(ids), failed: 'rejected' },
  }),
)
