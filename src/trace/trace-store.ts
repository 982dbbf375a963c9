import type { TraceStage } from './trace-stages.ts'

/** The new stages of one event, from one flush. */
export interface TraceWrite {
  eventId: string
  stages: TraceStage[]
  /** Lifetime of a trace this write creates; an existing trace keeps its own. */
  ttlSeconds: number
  /** When > 0 (a failure), the trace lives at least this long from now. */
  keepSeconds: number
}

/** Where traces live: Redis (shared by every process) or this process's memory. */
export interface TraceStore {
  /** Appends the stages, at most `maxStages` per event; one round trip for the whole list. */
  write(writes: TraceWrite[]): Promise<void>
  /** The event's stages in write order, or undefined when none is stored. */
  read(eventId: string): Promise<TraceStage[] | undefined>
}
