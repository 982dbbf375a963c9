import { log } from '../lib/log.ts'
import { round } from '../lib/numbers.ts'
import type { WindowFigures } from './figures.ts'
import { SINK_NAMES } from './sink-protocol.ts'

/** A measured window in a few lines of stderr, as it finishes. */
export function logWindow(f: WindowFigures, settleMaxS: number) {
  const parts = SINK_NAMES.map((n) => {
    const c = f.connectors[n]
    const e = c.exact_ms
    return `${n} p50/p99/max ${e.p50 ?? '-'}/${e.p99 ?? '-'}/${e.max ?? '-'} ms exact, p99 ${c.histogram_ms.p99 ?? '-'} ms hist, backlog ${c.backlog.end}`
  })
  log(
    `  ${f.label}${f.disturbed ? ' [DISTURBED: other processes busy]' : ''}: accepted ${f.load.accepted_events_per_s}/s (${round(f.load.achieved_ratio * 100, 1)}%), ` +
      `non-2xx ${f.load.non_2xx}, ingest p99 ${f.load.ingest_latency_ms.p99} ms, ` +
      `connections ${f.load.connections_answered}/${f.load.connections} answered, accept queue max ${f.accept_queue.max}, ` +
      `settled after ${f.settling.settled_after_s ?? `>${settleMaxS}`} s, ` +
      `CPU fw ${f.cpu_cores_used.framewire} sinks ${f.cpu_cores_used.sinks} gen ${f.cpu_cores_used.load_generator} ` +
      `kafka ${f.cpu_cores_used.kafka} redis ${f.cpu_cores_used.redis} others ${f.cpu_cores_used.other_processes}`,
  )
  for (const p of parts) log(`    ${p}`)
  log(`    sustained: ${f.sustained.ok ? 'yes' : `no (${f.sustained.reasons.join('; ')})`}`)
}
