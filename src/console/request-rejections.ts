import type { IngestRejection } from '../ingest/ingest-rejection.ts'
import type { RejectedItem } from './protocol.ts'

/**
 * The console's item for a request this node refused as a whole for what it sent (4xx): such a request
 * never reaches the bus, so only the node that answered it can show it. Left out: requests without a known
 * write key (anyone can send those), 5xx refusals (nothing was wrong with what was sent), and rejected
 * events, which the console reads from the invalid topic for every node.
 */
export function refusedRequestItem(rejection: IngestRejection): RejectedItem | undefined {
  if (rejection.kind !== 'request' || rejection.source === undefined || rejection.status >= 500)
    return undefined
  return {
    kind: 'rejected',
    at: rejection.at,
    source: rejection.source,
    type: null,
    viewId: null,
    index: null,
    errors: rejection.errors.length
      ? [...rejection.errors]
      : [{ pointer: '', message: `${rejection.code}: ${rejection.message}` }],
    raw: null,
  }
}
