import { expect, it } from 'vitest'
import { startSplunkStandIn } from '../../stand-ins/splunk.ts'
import { until } from '../harness.ts'
import { connectorPipeline } from './connector-pipeline.ts'

const TOKEN = '00112233-4455-6677-8899-aabbccddeeff'

const e2e = connectorPipeline(
  () => startSplunkStandIn({ token: TOKEN, ack: true, allowedIndexes: ['video'] }),
  (s) => ({
    name: 'hec',
    type: 'splunk',
    settings: { url: s.url, token: TOKEN, index: 'video', use_ack: true, ack_poll_interval_ms: 50 },
  }),
)

it('indexes events posted to ingest in Splunk, acknowledged, after a "server busy" answer', async () => {
  const s = e2e.destination
  s.script.failNext(1, 503)
  const events = await e2e.deliver(30, () => s.uniqueCount())

  expect(new Set(s.indexed.map((e) => e.event_id))).toEqual(new Set(events.map((e) => e.event_id)))
  for (const { envelope } of s.indexed) {
    const event = envelope.event as Record<string, unknown>
    expect(envelope).toMatchObject({
      index: 'video',
      source: 'framewire',
      sourcetype: '_json',
      host: 'test-node',
    })
    expect(envelope.time).toBe(Number(event.ts_corrected) / 1000)
  }
  expect(s.received.some((r) => r.status === 503)).toBe(true)
  // The stand-in's indexing lag (1.5 s) delays the acknowledgments, and still nothing is sent twice.
  expect(s.duplicateCount()).toBe(0)
  // Events count as indexed on arrival; the connector's ack polls follow ack_poll_interval_ms later.
  await until('ack polls', () => s.ackQueries() > 0, 10_000)
  // One channel (the connector instance's) for every request and poll.
  expect(
    new Set(s.received.filter((r) => r.status === 200).map((r) => r.headers['x-splunk-request-channel']))
      .size,
  ).toBe(1)
  expect(s.received.filter((r) => r.status !== 200 && r.status !== 503)).toEqual([])
}, 90_000)
