import { round } from '../lib/numbers.ts'
import type { WindowFigures } from './figures.ts'
import type { Options } from './options.ts'
import { SINK_NAMES } from './sink-protocol.ts'

/** Whether the pipeline kept up at this rate, and if not, why (the criteria are in bench/README.md). */
export function verdict(
  f: WindowFigures,
  { maxBacklogS, maxP99Ms }: Pick<Options, 'maxBacklogS' | 'maxP99Ms'>,
): { ok: boolean; reasons: string[] } {
  const reasons: string[] = []
  const l = f.load
  if (l.achieved_ratio < 0.98)
    reasons.push(
      `accepted ${l.accepted_events_per_s} events/s, ${round(l.achieved_ratio * 100, 1)}% of the target`,
    )
  if (l.non_2xx > 0) reasons.push(`${l.non_2xx} non-2xx answers (${JSON.stringify(l.status_codes)})`)
  if (l.errors > 0) reasons.push(`${l.errors} request errors (${JSON.stringify(l.error_codes)})`)
  if (l.connections_answered < f.load.connections)
    reasons.push(
      `${f.load.connections - l.connections_answered} of ${f.load.connections} connections had no answer in the window`,
    )
  for (const name of SINK_NAMES) {
    if (name === f.hanging) continue
    const c = f.connectors[name]
    if (c.delivered_per_s < 0.98 * l.accepted_events_per_s)
      reasons.push(`${name} delivered ${c.delivered_per_s}/s of ${l.accepted_events_per_s}/s accepted`)
    if (c.backlog.end > maxBacklogS * f.target_events_per_s)
      reasons.push(
        `${name} backlog ${c.backlog.end} records at the end (${c.backlog.end_s_of_events} s of events)`,
      )
    if (c.histogram_ms.p99 === null || c.histogram_ms.p99 > maxP99Ms)
      reasons.push(`${name} p99 ${c.histogram_ms.p99} ms > ${maxP99Ms} ms`)
  }
  return { ok: reasons.length === 0, reasons }
}
