import type { MetricValueWithName } from 'prom-client'
import { registry } from './metrics.ts'

/**
 * Per-connector figures read from this process's Prometheus registry, for the console and the
 * `framewire dev` summary. Percentiles come from the delivery-latency histogram the way PromQL's
 * histogram_quantile computes them: linear within the bucket that holds the rank.
 */

/** Cumulative counts of one connector at one instant. */
interface ConnectorCounts {
  delivered: number
  deadLettered: number
  circuit: number
  /** The pause cause while the destination refuses everything (credentials, quota). */
  paused: string | null
  /** Cumulative bucket counts by upper bound in seconds, ascending; the last bound is +Inf. */
  buckets: [number, number][]
}

export interface StatsSnapshot {
  at: number
  connectors: Map<string, ConnectorCounts>
}

export interface ConnectorStats {
  connector: string
  /** Delivered in the window. */
  delivered: number
  deliveredPerSecond: number
  /** Delivery latency in the window, ms; null when nothing was delivered. */
  p50Ms: number | null
  p99Ms: number | null
  /** Dead-lettered since the process started. */
  deadLettered: number
  circuit: 'closed' | 'open' | 'half-open'
  /** Why the connector is paused (`credentials`, `quota`), or null while it sends. */
  paused: string | null
}

const CIRCUIT = ['closed', 'open', 'half-open'] as const

/** The current values of one metric of this process's registry ([] when it is not registered). */
export const valuesOf = async (name: string): Promise<MetricValueWithName<string>[]> =>
  ((await registry.getSingleMetric(name)?.get())?.values ?? []) as MetricValueWithName<string>[]

export async function takeSnapshot(): Promise<StatsSnapshot> {
  const connectors = new Map<string, ConnectorCounts>()
  const of = (labels: Partial<Record<string, string | number>>) => {
    const name = String(labels.connector)
    const counts = connectors.get(name) ?? {
      delivered: 0,
      deadLettered: 0,
      circuit: 0,
      paused: null,
      buckets: [],
    }
    connectors.set(name, counts)
    return counts
  }
  for (const v of await valuesOf('framewire_connector_delivered_total')) of(v.labels).delivered = v.value
  for (const v of await valuesOf('framewire_connector_dead_lettered_total'))
    of(v.labels).deadLettered += v.value
  for (const v of await valuesOf('framewire_connector_circuit_state')) of(v.labels).circuit = v.value
  for (const v of await valuesOf('framewire_connector_paused')) {
    if (v.value === 1) of(v.labels).paused = String(v.labels.cause)
  }
  for (const v of await valuesOf('framewire_delivery_latency_seconds')) {
    if (v.metricName?.endsWith('_bucket') !== true) continue
    const le = v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le)
    of(v.labels).buckets.push([le, v.value])
  }
  for (const c of connectors.values()) c.buckets.sort((a, b) => a[0] - b[0])
  return { at: Date.now(), connectors }
}

/** The q-quantile (0..1) in ms of the observations between two cumulative bucket lists. */
export function quantileMs(from: [number, number][], to: [number, number][], q: number): number | null {
  const counts = to.map(([le, n], i) => [le, n - (from[i]?.[1] ?? 0)] as const)
  const total = counts.at(-1)?.[1] ?? 0
  if (total <= 0) return null
  const rank = q * total
  let lower = 0
  let below = 0
  for (const [le, cumulative] of counts) {
    if (cumulative >= rank) {
      // Beyond the largest finite bound there is nothing to interpolate towards.
      if (!Number.isFinite(le)) return lower * 1000
      const inBucket = cumulative - below
      const share = inBucket > 0 ? (rank - below) / inBucket : 1
      return (lower + (le - lower) * share) * 1000
    }
    lower = le
    below = cumulative
  }
  return null
}

/** Each connector's figures between two snapshots (`from` may be empty: since the process started). */
export function statsBetween(from: StatsSnapshot | undefined, to: StatsSnapshot): ConnectorStats[] {
  const seconds = from ? Math.max(0.001, (to.at - from.at) / 1000) : Number.NaN
  return [...to.connectors].map(([connector, now]) => {
    const before = from?.connectors.get(connector)
    const delivered = now.delivered - (before?.delivered ?? 0)
    return {
      connector,
      delivered,
      deliveredPerSecond: delivered / seconds,
      p50Ms: quantileMs(before?.buckets ?? [], now.buckets, 0.5),
      p99Ms: quantileMs(before?.buckets ?? [], now.buckets, 0.99),
      deadLettered: now.deadLettered,
      circuit: CIRCUIT[now.circuit] ?? 'closed',
      paused: now.paused,
    }
  })
}
