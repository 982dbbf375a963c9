import type { ExactSummary, SliceSummary } from '../lib/samples.ts'

/**
 * What the bench (sinks-control.ts) and the sinks process (sinks.ts) share: names, paths and the shapes of
 * their messages.
 */

export type SinkName = 'amplitude' | 'datadog' | 'webhook'
export const SINK_NAMES: readonly SinkName[] = ['amplitude', 'datadog', 'webhook']
export const SINK_PATHS: Record<SinkName, string> = {
  amplitude: '/2/httpapi',
  datadog: '/api/v2/logs',
  webhook: '/hook',
}

/** How the Amplitude sink rebuilds received_at: ts = sent_at - (batchSize - seq % batchSize) × spacingMs. */
export interface AmplitudeRebuild {
  batchSize: number
  spacingMs: number
}

export interface SinkWindow {
  /** How the exact latency was obtained, or null when it could not be. */
  exact_method: string | null
  events: number
  /** Arrival time minus received_at, ms, for events that arrived in the window. */
  exact_ms: ExactSummary
  slices: SliceSummary[]
  requests_in_window: number
  /** Requests held without an answer (hanging sink). */
  hung_requests: number
  /** Events whose computed latency was negative: would mean a wrong received_at (counted, kept as is). */
  negative: number
  parse_errors: number
}

export type ToSinks =
  | { type: 'hang'; connector: SinkName | null }
  | { type: 'window'; id: number; from: number; to: number; sliceMs: number }
  | { type: 'clear' }

export type FromSinks =
  | { type: 'ready'; ports: Record<SinkName, number> }
  | { type: 'window'; id: number; result: Record<SinkName, SinkWindow> }
