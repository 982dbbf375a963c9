import type { Outcome, PauseCause } from '../worker/connector.ts'

/**
 * What happened to one event, stage by stage. Each stage carries `at` (epoch ms); stages of different
 * processes (ingest, workers) arrive in any order and are read sorted by `at`.
 */
export type TraceStage =
  /** `format`: the request's media type and content encoding, e.g. "application/json+gzip". */
  | { stage: 'received'; at: number; source: string; format: string; node: string }
  /** `at` is the bus's append time of the record. */
  | { stage: 'written'; at: number; topic: string; partition: number; offset: string }
  /** A pipeline stage (routing, consent, filter, sampling, segments, cap) or the connector's transform dropped it. */
  | { stage: 'filtered'; at: number; connector: string; by: string }
  | {
      stage: 'attempt'
      at: number
      connector: string
      attempt: number
      outcome: Outcome['kind']
      status?: number
      reason?: string
    }
  /** `latency_ms`: from received to the destination's acknowledgement. */
  | { stage: 'delivered'; at: number; connector: string; latency_ms: number }
  | { stage: 'dead_lettered'; at: number; connector: string; reason: string; error: string }
  | { stage: 'paused'; at: number; connector: string; cause: PauseCause; reason: string }

export type StageName = TraceStage['stage']

/** The stages that keep a trace under `sampling: failed`. */
export function isFailure(stage: TraceStage): boolean {
  return stage.stage === 'dead_lettered' || stage.stage === 'paused'
}

/** A stored trace as the route answers it. */
export interface EventTrace {
  event_id: string
  stages: TraceStage[]
}

/** Stages in time order; a sort that keeps the write order of stages with the same `at`. */
export function inTimeOrder(stages: TraceStage[]): TraceStage[] {
  return [...stages].sort((a, b) => a.at - b.at)
}
