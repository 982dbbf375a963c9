import { ratio } from './numbers.ts'

/** The `--trace` flag: `all` adds a run with `trace.sampling: all` to compare with the main (tracing off) one. */
export const TRACE_FLAG = { trace: { type: 'string', default: 'off' } } as const

export function traceOption(value: string | undefined): 'all' | 'off' {
  if (value !== 'all' && value !== 'off') throw new Error(`--trace must be all or off, got ${value}`)
  return value
}

/** The two runs' throughput and CPU per event, the same workload in the same run. */
export interface TraceRunFigures {
  events_per_s: number
  cpu_us_per_event: number | null
}

/** What tracing every event costs: on ÷ off for events/s (goal: at least 0.9), off ÷ on for CPU. */
export function traceCost(off: TraceRunFigures, on: TraceRunFigures) {
  const eventsRatio = ratio(on.events_per_s, off.events_per_s, 3)
  const cpuRatio = ratio(off.cpu_us_per_event, on.cpu_us_per_event, 3)
  return {
    note: 'trace.sampling all vs off, same workload in the same run; events_per_s_ratio = on / off (goal >= 0.9), cpu_per_event_ratio = off CPU per event / on CPU per event',
    off,
    all: on,
    events_per_s_ratio: eventsRatio,
    cpu_per_event_ratio: cpuRatio,
    goal_met: eventsRatio !== null && eventsRatio >= 0.9,
  }
}

export type TraceCost = ReturnType<typeof traceCost>

export const traceCostLine = (cost: TraceCost): string =>
  `tracing all / off: events/s ${cost.events_per_s_ratio}, CPU per event ${cost.cpu_per_event_ratio}; goal (>= 0.9) ${cost.goal_met ? 'met' : 'NOT met'}`
