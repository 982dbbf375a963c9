import type { ExactSummary } from '../lib/samples.ts'
import type { BusType } from './framewire.ts'
import type { FixedRateLoad, LoadWindow } from './load.ts'
import type { ConnectionSetup, Settling } from './settling.ts'
import type { SinkName, SinkWindow } from './sink-protocol.ts'

/** The figures of one measured window, as they appear under `runs` and `staircase.full` in the results. */

export interface ConnectorFigures {
  /** From framewire_delivery_latency_seconds: the delta of two scrapes, quantiles interpolated in buckets. */
  histogram_ms: Pick<ExactSummary, 'count' | 'mean' | 'p50' | 'p90' | 'p99'> & {
    /** The histogram cannot give a max: this is the upper bound of the highest bucket with deliveries. */
    max_at_most: number | null
  }
  /** Exact, per event, at the sink: arrival wall time minus received_at. */
  exact_ms: SinkWindow['exact_ms'] & { method: string | null }
  /** Exact p50/p99/max per 10 s of the window: flat when sustained, climbing when a backlog builds. */
  exact_slices: SinkWindow['slices']
  delivered_per_s: number
  /** Requests the sink answered per second, and events per request (the batch size the worker reached). */
  sink_requests_per_s: number
  events_per_request: number | null
  /** Events the sink saw in the window ÷ deliveries Framewire counted (≈1; a cross-check). */
  sink_vs_delivered: number | null
  /** The connector group's true backlog in Kafka (records), at the window's start and end, and the most seen. */
  backlog: { start: number; end: number; max: number; end_s_of_events: number }
  retries: number
  dead_lettered: number
  send_results: Record<string, number>
  circuit_state_end: number | null
  buffered_records_end: number | null
  hung_requests: number
}

export interface WindowFigures {
  label: string
  target_events_per_s: number
  hanging: SinkName | null
  load: LoadWindow & { connections: FixedRateLoad['connections']; phases: FixedRateLoad['phases'] }
  /** How long it took until every connection had been answered once (before warm-up and measurement). */
  connection_setup: ConnectionSetup
  /** After the warm-up: how long until the backlogs were small (steady state), before measuring. */
  settling: Settling
  /** The ingest's accept queue (connections not yet accepted) at the window's start and end, and the most seen. */
  accept_queue: { start: number | null; end: number | null; max: number | null }
  connectors: Record<SinkName, ConnectorFigures>
  ingest: {
    unavailable_503: number
    request_duration_ms: { p50: number | null; p99: number | null }
    produce_latency_ms: { p50: number | null; p99: number | null }
  }
  cpu_cores_used: Record<
    'framewire' | 'sinks' | 'load_generator' | 'kafka' | 'redis' | 'other_processes',
    number | null
  >
  framewire_rss_mb: { end: number | null; peak: number | null; max_sampled: number | null }
  framewire_event_loop_lag_p99_ms: number | null
  /** Other processes used more than 0.3 of a core in the window: figures pessimistic by an unknown amount. */
  disturbed: boolean
  /** Cores other processes used in the second before the run started (after waiting for quiet). */
  other_processes_before_run: number | null
  bus: BusType
  /** Kafka: offset commits per second on the broker (records appended to __consumer_offsets; all groups). */
  kafka_offset_commits_per_s: number | null
  /** Embedded bus: write transactions per second (group commits of appends and offset commits). */
  embedded_bus_writes_per_s: number | null
  sustained: { ok: boolean; reasons: string[] }
}
