import { expect, it } from 'vitest'
import { startGa4StandIn } from '../../stand-ins/ga4.ts'
import { connectorPipeline } from './connector-pipeline.ts'

const MEASUREMENT_ID = 'G-E2E12345'
const API_SECRET = 'e2e-ga4-secret-0123456789'

const e2e = connectorPipeline(
  () => startGa4StandIn({ measurementId: MEASUREMENT_ID, apiSecret: API_SECRET }),
  (s) => ({
    name: 'ga',
    type: 'ga4',
    settings: { measurement_id: MEASUREMENT_ID, api_secret: API_SECRET, server_url: s.endpoint },
  }),
)

it('delivers events posted to ingest as GA4 events that GA4 keeps, one request per client', async () => {
  const s = e2e.destination
  const events = await e2e.deliver(30, () => s.kept.length)

  expect(s.dropped).toEqual([])
  expect(s.duplicateCount()).toBe(0)
  expect(new Set(s.kept.map((e) => e.params.event_id))).toEqual(new Set(events.map((e) => e.event_id)))
  const sent = new Map(events.map((e) => [e.event_id, e]))
  const sessions = new Map<string, unknown>()
  for (const kept of s.kept) {
    const original = sent.get(kept.params.event_id as string)
    expect(kept.name).toBe(original?.type === 'custom' ? 'share_clicked' : `video_${original?.type}`)
    expect(kept.client_id).toMatch(/^[1-9]\d*\.[1-9]\d*$/)
    expect(kept.params).toMatchObject({
      view_id: original?.view_id,
      seq: original?.seq,
      engagement_time_msec: expect.any(Number),
    })
    expect(Math.abs((kept.timestamp_micros ?? 0) / 1000 - (original?.ts ?? 0))).toBeLessThan(60_000)
    // One GA4 session per Framewire session.
    const previous = sessions.get(original?.session_id ?? '')
    if (previous !== undefined) expect(kept.params.session_id).toBe(previous)
    sessions.set(original?.session_id ?? '', kept.params.session_id)
    expect(Object.keys(kept.params).length).toBeLessThanOrEqual(25)
  }
  // client_id/user_id are request-level: each request carries the events of one viewer only.
  const sessionsByRequest = new Map<number | undefined, Set<string | undefined>>()
  for (const kept of s.kept) {
    const list = sessionsByRequest.get(kept.request?.index) ?? new Set()
    list.add(sent.get(kept.params.event_id as string)?.session_id)
    sessionsByRequest.set(kept.request?.index, list)
  }
  for (const list of sessionsByRequest.values()) expect(list.size).toBe(1)
  // Every request went to /mp/collect with the stream's credentials and was answered 204.
  for (const r of s.received) {
    expect(r.url).toBe(`/mp/collect?measurement_id=${MEASUREMENT_ID}&api_secret=${API_SECRET}`)
    expect(r.status).toBe(204)
  }
}, 90_000)
