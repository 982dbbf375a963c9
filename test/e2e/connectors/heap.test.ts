import { expect, it } from 'vitest'
import { anonymousUserId } from '../../../connectors/heap/transform.ts'
import { startHeapStandIn } from '../../stand-ins/heap.ts'
import { connectorPipeline } from './connector-pipeline.ts'

const APP_ID = '4815162342'

const e2e = connectorPipeline(
  () => startHeapStandIn({ appId: APP_ID }),
  (s) => ({
    name: 'heap',
    type: 'heap',
    settings: { app_id: APP_ID, server_url: s.endpoint },
  }),
)

it('tracks events posted to ingest as Heap events with flat properties, each once', async () => {
  const s = e2e.destination
  s.script.failNext(1, 503)
  const events = await e2e.deliver(30, () => s.uniqueCount())

  expect(new Set(s.stored.map((e) => e.event.idempotency_key))).toEqual(
    new Set(events.map((e) => e.event_id)),
  )
  const sent = new Map(events.map((e) => [e.event_id, e]))
  for (const { event } of s.stored) {
    const original = sent.get(event.idempotency_key as string)
    expect(event).toMatchObject({
      event: expect.stringMatching(/^Video /),
      user_id: anonymousUserId((original?.user as { anonymous_id?: string } | undefined)?.anonymous_id ?? ''),
      session_id: original?.session_id,
      properties: { view_id: original?.view_id, seq: original?.seq, source: 'web' },
    })
    expect(Date.parse(event.timestamp as string)).toBeGreaterThan(0)
  }
  expect(
    s.stored.some((e) => (e.event.properties as Record<string, unknown>)['data.target'] === 'copy_link'),
  ).toBe(true)
  expect(s.duplicatesDropped()).toBe(0)
  expect(s.received.filter((r) => r.status !== 200 && r.status !== 503)).toEqual([])
}, 90_000)
