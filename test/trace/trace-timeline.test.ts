import { expect, it } from 'vitest'
import { traceTimeline } from '../../src/trace/trace-timeline.ts'

it('prints a trace as a timeline: clock, time since received, each stage in words', () => {
  const at = Date.UTC(2026, 0, 2, 3, 4, 5, 600)
  const text = traceTimeline({
    event_id: 'e-1',
    stages: [
      { stage: 'received', at, source: 'web', format: 'application/json+gzip', node: 'n1' },
      { stage: 'written', at: at + 2, topic: 'fw.events.v1', partition: 1, offset: '42' },
      { stage: 'filtered', at: at + 5, connector: 'amp', by: 'consent' },
      {
        stage: 'attempt',
        at: at + 9,
        connector: 'hook',
        attempt: 1,
        outcome: 'retry',
        status: 503,
        reason: 'busy',
      },
      { stage: 'dead_lettered', at: at + 20, connector: 'hook', reason: 'retries_exhausted', error: 'busy' },
    ],
  })
  expect(text.split('\n')).toEqual([
    'event e-1',
    '03:04:05.600      +0 ms  received from source web as application/json+gzip on node n1',
    '03:04:05.602      +2 ms  written to fw.events.v1, partition 1, offset 42',
    '03:04:05.605      +5 ms  [amp] filtered by consent',
    '03:04:05.609      +9 ms  [hook] attempt 1: retry, status 503: busy',
    '03:04:05.620     +20 ms  [hook] dead-lettered (retries_exhausted): busy',
  ])
})
