import type { EnrichedEvent } from '../../src/event.ts'

/**
 * Vendor-neutral event names for analytics tools whose events are named by people (Amplitude, Heap,
 * Mixpanel, Segment's non-spec events). Vendor rules (reserved prefixes, length caps) are applied by the
 * vendor's transform on top.
 */

/** `title`: `buffer_start` → `Video Buffer Start`; `raw`: `buffer_start` as is. */
export type EventNaming = 'title' | 'raw'

/** `buffer_start` → `Video Buffer Start`. */
export function videoTitle(type: string): string {
  const words = type
    .split(/[_\s]+/)
    .filter(Boolean)
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
  return `Video ${words.join(' ')}`
}

/**
 * The event's name: `Video Buffer Start` (title) or `buffer_start` (raw); the `custom` event uses its own
 * `name`, as `Video Custom: <name>` (title) or `<name>` (raw).
 */
export function eventTypeName(event: EnrichedEvent, naming: EventNaming): string {
  const customName = event.type === 'custom' && typeof event.name === 'string' ? event.name.trim() : ''
  if (naming === 'raw') return customName || event.type
  return customName ? `Video Custom: ${customName}` : videoTitle(event.type)
}
