import { expect, it } from 'vitest'
import { SPEC_EVENTS } from '../../../connectors/segment/video-spec.ts'
import { startSegmentStandIn } from '../../stand-ins/segment.ts'
import { connectorPipeline } from './connector-pipeline.ts'

const WRITE_KEY = 'e2e-segment-write-key-0123456789'

const e2e = connectorPipeline(
  () => startSegmentStandIn({ writeKey: WRITE_KEY }),
  (s) => ({
    name: 'segment',
    type: 'segment',
    settings: { write_key: WRITE_KEY, server_url: s.endpoint },
  }),
)

it('delivers events posted to ingest as Segment Video Spec track calls, each once', async () => {
  const s = e2e.destination
  s.script.failNext(1, 429, { retryAfter: 1 })
  const events = await e2e.deliver(30, () => s.uniqueCount())

  expect(new Set(s.accepted.map((a) => a.message.messageId))).toEqual(new Set(events.map((e) => e.event_id)))
  const sent = new Map(events.map((e) => [e.event_id, e]))
  for (const { message } of s.accepted) {
    const original = sent.get(message.messageId as string)
    const expected = original?.type === 'custom' ? 'share_clicked' : SPEC_EVENTS[original?.type ?? '']?.name
    expect(message).toMatchObject({
      type: 'track',
      event: expected,
      anonymousId: (original?.user as { anonymous_id?: string } | undefined)?.anonymous_id,
      context: { library: { name: 'framewire' } },
    })
    expect(message.properties).toMatchObject({ view_id: original?.view_id, seq: original?.seq })
  }
  expect(s.accepted.some((a) => a.message.event === 'Video Ad Started')).toBe(true)
  expect(s.dropped).toEqual([])
  expect(s.specViolations).toEqual([])
  expect(s.duplicatesDropped()).toBe(0)
  expect(s.received.filter((r) => r.status !== 200 && r.status !== 429)).toEqual([])
}, 90_000)
