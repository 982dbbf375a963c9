import { expect, it } from 'vitest'
import { statsBetween, takeSnapshot } from '../../src/observability/connector-stats.ts'
import { connectorMetrics } from '../../src/worker/metrics.ts'

it('reports a paused connector with its cause, and clears it on resume', async () => {
  const metrics = connectorMetrics('stats-paused')
  metrics.live({ records: () => 0, oldestPendingAt: () => undefined })
  const of = async () =>
    statsBetween(undefined, await takeSnapshot()).find((c) => c.connector === 'stats-paused')
  expect(await of()).toMatchObject({ paused: null, circuit: 'closed' })
  metrics.paused('quota')
  expect(await of()).toMatchObject({ paused: 'quota' })
  metrics.paused(undefined)
  expect(await of()).toMatchObject({ paused: null })
  metrics.remove()
})
