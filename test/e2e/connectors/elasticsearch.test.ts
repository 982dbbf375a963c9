import { expect, it } from 'vitest'
import { startElasticsearchStandIn } from '../../stand-ins/elasticsearch.ts'
import { connectorPipeline } from './connector-pipeline.ts'

const API_KEY = Buffer.from('e2e-id:e2e-secret').toString('base64')

const e2e = connectorPipeline(
  () => startElasticsearchStandIn({ apiKey: API_KEY }),
  (s) => ({
    name: 'es',
    type: 'elasticsearch',
    settings: { url: s.url, api_key: API_KEY, index: 'fw-e2e-{yyyy.MM.dd}' },
  }),
)

it('indexes events posted to ingest as documents with _id = event_id, retrying items answered 429', async () => {
  const s = e2e.destination
  s.failNextItems(20, { status: 429 })
  const events = await e2e.deliver(30, () => s.uniqueCount())

  expect(new Set(s.documents.map((d) => d.id))).toEqual(new Set(events.map((e) => e.event_id)))
  expect(s.uniqueCount()).toBe(events.length)
  for (const doc of s.documents) {
    const at = String(doc.source['@timestamp'])
    expect(doc.index).toBe(`fw-e2e-${at.slice(0, 10).replaceAll('-', '.')}`)
    expect(doc.source).toMatchObject({ event_id: doc.id, source: 'web', ingest_node: 'test-node' })
    expect(typeof doc.source.received_at).toBe('number')
  }
  // The scripted 429 items were resent by the runtime, and every request kept the _bulk contract.
  expect(s.itemErrors.filter((e) => e.status === 429)).toHaveLength(20)
  expect(s.received.filter((r) => r.status !== 200)).toEqual([])
}, 90_000)
