import type { EnrichedEvent } from '../../src/event.ts'
import { SKIP, type Skip } from '../../src/worker/connector.ts'
import { excludeTypesSetting } from '../common/settings.ts'

/**
 * The AWS connectors carry the enriched event unchanged, as one line of JSON: these destinations store
 * bytes, and the data dictionary is the schema their consumers read.
 */

export const excludeTypesProperty = excludeTypesSetting('Event types not to send (e.g. ["heartbeat"]).')

/** The event as compact JSON (no newline), or SKIP for an excluded type. */
export function eventJson(event: EnrichedEvent, settings: { exclude_types: string[] }): string | Skip {
  if (settings.exclude_types.includes(event.type)) return SKIP
  return JSON.stringify(event)
}
