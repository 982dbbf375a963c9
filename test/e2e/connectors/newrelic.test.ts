import { expect, it } from 'vitest'
import { startNewRelicStandIn } from '../../stand-ins/newrelic.ts'
import { connectorPipeline } from './connector-pipeline.ts'

const ACCOUNT = '7654321'
const LICENSE = 'e2e0123456789abcdef0123456789abcdefNRAL'

const e2e = connectorPipeline(
  () => startNewRelicStandIn({ accountId: ACCOUNT, licenseKey: LICENSE }),
  (s) => ({
    name: 'nr',
    type: 'newrelic',
    settings: { account_id: ACCOUNT, api_key: LICENSE, url: s.url, event_type: 'PlayerEvent' },
  }),
)

it('reports events posted to ingest as flat New Relic custom events, none dropped in parsing', async () => {
  const s = e2e.destination
  s.script.failNext(1, 429, { retryAfter: 1 })
  const events = await e2e.deliver(30, () => s.uniqueCount())

  expect(new Set(s.events.map((e) => e.event_id))).toEqual(new Set(events.map((e) => e.event_id)))
  const sent = new Map(events.map((e) => [e.event_id, e]))
  for (const { event, event_id } of s.events) {
    const original = sent.get(event_id ?? '')
    expect(event).toMatchObject({
      eventType: 'PlayerEvent',
      type: original?.type,
      seq: original?.seq,
      source: 'web',
    })
    expect(typeof event.timestamp).toBe('number')
    for (const value of Object.values(event)) expect(['string', 'number']).toContain(typeof value)
  }
  // Nested groups arrive flattened, e.g. a buffer_start's payload and the custom event's data.
  const bufferStart = s.events.find((e) => e.event.type === 'buffer_start')
  expect(bufferStart?.event).toMatchObject({ 'buffer.cause': 'stall', 'buffer.during_ad': 'false' })
  expect(s.events.some((e) => e.event['data.tags'] === '["drama","nordic"]')).toBe(true)
  expect(s.integrationErrors).toEqual([])
  expect(s.duplicateCount()).toBe(0)
  expect(s.received.filter((r) => r.status !== 200 && r.status !== 429)).toEqual([])
}, 90_000)
