import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSES, startPipeline, testConfig } from '../helpers/pipeline.ts'
import { connectorsYaml, postViews, type StandIns, startStandIns, until } from './harness.ts'

const deliveredTotals = async (url: string) => {
  const text = await (await request(`${url}/metrics`)).body.text()
  return (connector: string) =>
    Number(
      new RegExp(`framewire_connector_delivered_total\\{connector="${connector}"\\} (\\d+)`).exec(
        text,
      )?.[1] ?? 0,
    )
}

describe.each(BUSES)('delivery through the real ingest and the %s bus', (bus) => {
  let standIns: StandIns
  let pipeline: Awaited<ReturnType<typeof startPipeline>>
  // Both buses' suites share this process's metrics registry: figures are read as differences.
  let deliveredBefore: (connector: string) => number

  beforeAll(async () => {
    standIns = await startStandIns()
    pipeline = await startPipeline(testConfig(connectorsYaml(standIns), {}, bus), 'all')
    deliveredBefore = await deliveredTotals(pipeline.url)
  })
  afterAll(async () => {
    await pipeline?.stop()
    await standIns?.close()
  })

  it('delivers 10k events to every destination exactly once by its dedupe key, in its format', async () => {
    const events = await postViews(pipeline.url, 1000)
    expect(events).toHaveLength(10_000)
    const { amplitude, datadog, webhook } = standIns
    await until('all deliveries', () =>
      [amplitude.uniqueCount(), datadog.uniqueCount(), webhook.uniqueCount()].every((n) => n >= 10_000),
    )
    const ids = new Set(events.map((e) => e.event_id))
    expect(new Set(amplitude.ingested.map((e) => e.insert_id))).toEqual(ids)
    expect(new Set(datadog.logs.map((l) => l.event_id))).toEqual(ids)
    expect(new Set(webhook.events.map((e) => e.event_id))).toEqual(ids)
    expect([amplitude.duplicatesDropped(), datadog.duplicateCount(), webhook.duplicateCount()]).toEqual([
      0, 0, 0,
    ])
    // Every request the stand-ins saw was accepted: the contracts (auth, limits, shapes) were kept.
    for (const s of [amplitude, datadog, webhook]) {
      expect(s.received.filter((r) => r.status === undefined || r.status >= 300)).toEqual([])
    }
  }, 180_000)

  it('exposes per-connector delivery metrics with sub-second latency buckets', async () => {
    const res = await request(`${pipeline.url}/metrics`)
    const text = await res.body.text()
    for (const connector of ['amplitude', 'datadog', 'webhook']) {
      for (const series of [
        `framewire_delivery_latency_seconds_bucket{le="0.005",connector="${connector}"}`,
        `framewire_delivery_latency_seconds_bucket{le="0.25",connector="${connector}"}`,
        `framewire_event_age_seconds_count{connector="${connector}"}`,
        `framewire_connector_delivered_total{connector="${connector}"}`,
        `framewire_connector_consumer_lag_records{connector="${connector}"`,
        `framewire_connector_circuit_state{connector="${connector}"}`,
        `framewire_connector_batch_size_items_bucket`,
        `framewire_connector_in_flight_batches{connector="${connector}"}`,
      ]) {
        expect(text).toContain(series)
      }
      const delivered = await deliveredTotals(pipeline.url)
      expect(delivered(connector) - deliveredBefore(connector)).toBeGreaterThanOrEqual(10_000)
    }
  })
})
