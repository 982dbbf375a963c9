import {
  type ConnectorStats,
  type StatsSnapshot,
  statsBetween,
  takeSnapshot,
  valuesOf,
} from '../observability/connector-stats.ts'

/** What a `framewire dev` run did, from this process's metrics registry. */

export interface RunSnapshot {
  connectors: StatsSnapshot
  accepted: number
  rejected: number
  duplicates: number
}

export interface RunStats {
  /** How long events were sent. */
  seconds: number
  /** Events the ingest accepted meanwhile (from any sender), and per second. */
  accepted: number
  eventsPerSecond: number
  rejected: number
  duplicates: number
  connectors: ConnectorStats[]
}

/** Sum of a counter over all its label sets. */
async function total(name: string): Promise<number> {
  return (await valuesOf(name)).reduce((sum, v) => sum + v.value, 0)
}

export async function takeRunSnapshot(): Promise<RunSnapshot> {
  return {
    connectors: await takeSnapshot(),
    accepted: await total('framewire_ingest_events_accepted_total'),
    rejected: await total('framewire_ingest_events_rejected_total'),
    duplicates: await total('framewire_ingest_dedupe_hits_total'),
  }
}

/**
 * The ingest's figures from `start` to `stopped` (when the senders stopped), the connectors' from `start`
 * to `drained` (once the pipeline has delivered what was accepted).
 */
export function runStats(start: RunSnapshot, stopped: RunSnapshot, drained: RunSnapshot): RunStats {
  const seconds = Math.max(0.001, (stopped.connectors.at - start.connectors.at) / 1000)
  const accepted = stopped.accepted - start.accepted
  return {
    seconds,
    accepted,
    eventsPerSecond: accepted / seconds,
    rejected: stopped.rejected - start.rejected,
    duplicates: stopped.duplicates - start.duplicates,
    connectors: statsBetween(start.connectors, drained.connectors),
  }
}
