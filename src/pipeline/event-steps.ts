import type { EnrichedEvent } from '../event.ts'
import type { PlainObject } from './paths.ts'

/**
 * One change to an event. `owned`: the top-level object may be changed in place (see compile-pipeline.ts);
 * otherwise a step that changes the event returns a new object.
 */
export type EventStep = (event: PlainObject, owned: boolean) => PlainObject

/** The steps run in order, as one function of the event. */
export function runSteps(
  steps: readonly EventStep[],
): (event: EnrichedEvent, owned?: boolean) => EnrichedEvent {
  return (event, owned = false) => {
    let out = event as unknown as PlainObject
    let mine = owned
    for (const step of steps) {
      const next = step(out, mine)
      // A step that returned a new object made it: later steps may change it in place.
      mine ||= next !== out
      out = next
    }
    return out as EnrichedEvent
  }
}
