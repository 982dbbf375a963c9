import { bulkConnector } from './bulk.ts'

export type { BulkSettings as ElasticsearchSettings } from './bulk.ts'

export default bulkConnector({
  type: 'elasticsearch',
  name: 'Elasticsearch',
  description:
    'Player events as Elasticsearch documents through the _bulk API (create, _id = event_id), into a ' +
    'date-suffixed index or a data stream.',
  apiKeyAuth: true,
})
