import { expect, it } from 'vitest'
import { startElasticsearchStandIn } from '../../stand-ins/elasticsearch.ts'
import { connectorPipeline } from './connector-pipeline.ts'

const USER = { username: 'framewire', password: 'e2e-secret' }

const e2e = connectorPipeline(
  () => startElasticsearchStandIn({ flavor: 'opensearch', basic: USER, dataStreams: ['logs-framewire-e2e'] }),
  (s) => ({
    name: 'os',
    type: 'opensearch',
    settings: {
      url: s.url,
      username: USER.username,
      password: USER.password,
      index: 'logs-framewire-e2e',
      compression: 'gzip',
    },
  }),
)

it('appends events posted to ingest to an OpenSearch data stream, once each', async () => {
  const s = e2e.destination
  const events = await e2e.deliver(20, () => s.uniqueCount())

  expect(new Set(s.documents.map((d) => d.id))).toEqual(new Set(events.map((e) => e.event_id)))
  expect(s.documents.every((d) => d.index === 'logs-framewire-e2e')).toBe(true)
  const byId = new Map(events.map((e) => [e.event_id, e]))
  for (const doc of s.documents) {
    const sent = byId.get(doc.id)
    expect(doc.source).toMatchObject({ type: sent?.type, seq: sent?.seq, view_id: sent?.view_id })
    expect(doc.source['@timestamp']).toBe(new Date(Number(doc.source.ts_corrected)).toISOString())
  }
  expect(new Set(s.encodings)).toEqual(new Set(['gzip']))
  expect(s.received.filter((r) => r.status !== 200)).toEqual([])
}, 90_000)
