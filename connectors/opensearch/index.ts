import { bulkConnector } from '../elasticsearch/bulk.ts'

export type { BulkSettings as OpenSearchSettings } from '../elasticsearch/bulk.ts'

// OpenSearch's security plugin authenticates REST calls with basic auth (or a proxy in front); it has no
// Elasticsearch-style API keys, so the `api_key` setting is not offered.
export default bulkConnector({
  type: 'opensearch',
  name: 'OpenSearch',
  description:
    'Player events as OpenSearch documents through the _bulk API (create, _id = event_id), into a ' +
    'date-suffixed index or a data stream.',
  apiKeyAuth: false,
})
