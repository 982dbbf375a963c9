import type { EventTrace, TraceStage } from './trace-stages.ts'

/** One stage in words; the CLI and the console both show it. */
export function describeStage(stage: TraceStage): string {
  switch (stage.stage) {
    case 'received':
      return `received from source ${stage.source} as ${stage.format} on node ${stage.node}`
    case 'written':
      return `written to ${stage.topic}, partition ${stage.partition}, offset ${stage.offset}`
    case 'filtered':
      return `[${stage.connector}] filtered by ${stage.by}`
    case 'attempt': {
      const status = stage.status === undefined ? '' : `, status ${stage.status}`
      const reason = stage.reason ? `: ${stage.reason}` : ''
      return `[${stage.connector}] attempt ${stage.attempt}: ${stage.outcome}${status}${reason}`
    }
    case 'delivered':
      return `[${stage.connector}] delivered, ${stage.latency_ms} ms after it was received`
    case 'dead_lettered':
      return `[${stage.connector}] dead-lettered (${stage.reason}): ${stage.error}`
    case 'paused':
      return `[${stage.connector}] paused (${stage.cause}): ${stage.reason}`
  }
}

/** A trace as lines: the wall-clock time (UTC), the time since the first stage, what happened. */
export function traceTimeline(trace: EventTrace): string {
  const first = trace.stages[0]?.at ?? 0
  const lines = trace.stages.map((stage) => {
    const clock = new Date(stage.at).toISOString().slice(11, 23)
    const since = `+${stage.at - first} ms`.padStart(10)
    return `${clock} ${since}  ${describeStage(stage)}`
  })
  return [`event ${trace.event_id}`, ...lines].join('\n')
}
