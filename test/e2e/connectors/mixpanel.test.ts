import { expect, it } from 'vitest'
import { startMixpanelStandIn } from '../../stand-ins/mixpanel.ts'
import { connectorPipeline } from './connector-pipeline.ts'

const PROJECT = '2718281'
const USER = 'framewire-e2e.sa'
const SECRET = 'e2e-mixpanel-secret-0123456789'

const e2e = connectorPipeline(
  () => startMixpanelStandIn({ projectId: PROJECT, username: USER, secret: SECRET }),
  (s) => ({
    name: 'mp',
    type: 'mixpanel',
    settings: {
      project_id: PROJECT,
      service_account_username: USER,
      service_account_secret: SECRET,
      server_url: s.endpoint,
    },
  }),
)

it('imports events posted to ingest into Mixpanel, after a 429, each once', async () => {
  const s = e2e.destination
  s.script.failNext(1, 429, { retryAfter: 1 })
  const events = await e2e.deliver(30, () => s.uniqueCount())

  expect(new Set(s.ingested.map((e) => e.properties.$insert_id))).toEqual(
    new Set(events.map((e) => e.event_id)),
  )
  const sent = new Map(events.map((e) => [e.event_id, e]))
  for (const { event, properties } of s.ingested) {
    const original = sent.get(properties.$insert_id as string)
    expect(event).toMatch(/^Video /)
    expect(properties).toMatchObject({
      distinct_id: (original?.user as { anonymous_id?: string } | undefined)?.anonymous_id,
      view_id: original?.view_id,
      seq: original?.seq,
      source: 'web',
      ip: 0,
    })
    expect(Number.isInteger(properties.time)).toBe(true)
  }
  expect(s.ingested.some((e) => e.event === 'Video Custom: share_clicked')).toBe(true)
  expect(s.duplicatesDropped()).toBe(0)
  expect(s.received.filter((r) => r.status !== 200 && r.status !== 429)).toEqual([])
  expect(s.received[0]?.status).toBe(429)
}, 90_000)
