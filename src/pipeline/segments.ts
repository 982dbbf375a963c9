import { SEGMENTS, type Segment } from '../dictionary/schema-files.ts'
import type { EnrichedEvent } from '../event.ts'
import type { Dictionary } from './dictionary.ts'

/**
 * Data segmentation: the dictionary tags each event type and context group `qos` (technical) or
 * `business` (user, content, ads, custom). A connector that selects some segments gets:
 *   - only events whose type belongs to a selected segment (others are dropped whole);
 *   - on those, the common fields (event_id, type, ts, session_id, view_id, seq), the server fields
 *     (received_at, ts_corrected, source, ingest_node, client_ip, user_agent), the type's own payload
 *     (`buffer`, `metrics`…), and only the context groups of the selected segments.
 * Event types unknown to the dictionary cannot be classified and are dropped.
 */

/**
 * Compiles the selection into a projection; undefined when every segment is selected (nothing to do).
 * The tables (which top-level keys each event type keeps) are computed here, once.
 */
export function compileSegments(
  selected: readonly Segment[] | undefined,
  dict: Dictionary,
): ((event: EnrichedEvent) => EnrichedEvent | null) | undefined {
  if (!selected || SEGMENTS.every((segment) => selected.includes(segment))) return undefined
  const chosen = new Set(selected)
  const groups = [...dict.groupSegment].filter(([, s]) => chosen.has(s)).map(([group]) => group)
  const kept = new Map<string, ReadonlySet<string>>()
  for (const [type, segment] of dict.eventSegment) {
    if (!chosen.has(segment)) continue
    kept.set(
      type,
      new Set([...dict.commonFields, ...dict.serverFields, ...groups, ...(dict.payloadKeys.get(type) ?? [])]),
    )
  }
  return (event) => {
    const keys = kept.get(event.type)
    if (!keys) return null
    const out: Record<string, unknown> = {}
    for (const key in event) if (keys.has(key)) out[key] = event[key]
    return out as EnrichedEvent
  }
}
