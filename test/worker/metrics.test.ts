import { describe, expect, it } from 'vitest'
import { registry } from '../../src/observability/metrics.ts'
import { connectorMetrics } from '../../src/worker/metrics.ts'

async function values(name: string, connector: string) {
  const metric = await registry.getSingleMetric(name)?.get()
  // Histograms list their _bucket, _sum and _count samples, each named.
  const samples = (metric?.values ?? []) as {
    labels: Record<string, unknown>
    value: number
    metricName?: string
  }[]
  return samples.filter((v) => v.labels.connector === connector)
}

async function latencyCount(connector: string) {
  const samples = await values('framewire_delivery_latency_seconds', connector)
  return samples.find((v) => v.metricName === 'framewire_delivery_latency_seconds_count')?.value
}

describe('connector metrics', () => {
  it('have delivered, dead-letter and latency series at zero before anything happens', async () => {
    const metrics = connectorMetrics('zeroes')
    expect((await values('framewire_connector_delivered_total', 'zeroes')).map((v) => v.value)).toEqual([0])
    expect(
      (await values('framewire_connector_dead_lettered_total', 'zeroes')).map((v) => v.labels.reason),
    ).toEqual(['rejected', 'retries_exhausted', 'transform_error'])
    expect(await latencyCount('zeroes')).toBe(0)
    metrics.remove()
  })

  it('keep the latency histogram when a worker of the same connector is created again', async () => {
    const first = connectorMetrics('reloaded')
    first.delivered(1000, 1000, 1500)
    connectorMetrics('reloaded')
    expect(await latencyCount('reloaded')).toBe(1)
    first.remove()
  })

  it('count outcomes with their HTTP status, and drop every such series on remove', async () => {
    const metrics = connectorMetrics('outcomes')
    metrics.outcome('delivered', undefined)
    metrics.outcome('retry', 503)
    metrics.outcome('retry', 503)
    metrics.outcome('error', undefined)
    const series = await values('framewire_connector_outcomes_total', 'outcomes')
    expect(series.map((v) => [v.labels.outcome, v.labels.status, v.value])).toEqual([
      ['delivered', 'none', 1],
      ['retry', '503', 2],
      ['error', 'none', 1],
    ])
    metrics.remove()
    expect(await values('framewire_connector_outcomes_total', 'outcomes')).toEqual([])
  })

  it('report the age of the oldest pending record as lag in seconds, 0 when none is pending', async () => {
    const metrics = connectorMetrics('lagging')
    let oldest: number | undefined = Date.now() - 90_000
    metrics.live({ records: () => 3, oldestPendingAt: () => oldest })
    const [lag] = await values('framewire_connector_consumer_lag_seconds', 'lagging')
    expect(lag?.value).toBeGreaterThanOrEqual(90)
    expect(lag?.value).toBeLessThan(95)
    oldest = undefined
    expect((await values('framewire_connector_consumer_lag_seconds', 'lagging'))[0]?.value).toBe(0)
    expect((await values('framewire_connector_consumer_lag_records', 'lagging'))[0]?.value).toBe(3)
    metrics.remove()
  })
})
