import type { CapAction } from '../config/types.ts'
import { counter } from '../observability/metrics.ts'
import type { CapMetrics } from './cap-gate.ts'
import { STAGES, type StageName } from './stages.ts'

/** Instruments of the per-connector pipelines, labelled by connector instance name. */

const CAP_ACTIONS: CapAction[] = ['delay', 'sample', 'drop']

const filtered = counter(
  'framewire_connector_filtered_total',
  'Events a connector pipeline dropped before the connector transform, by stage (routing, consent, filter, sampling, segments, cap).',
  ['connector', 'stage'],
)
const capped = counter(
  'framewire_connector_capped_total',
  'Events that hit the connector cap, by action: delay (waited for tokens, delivered), sample or drop (dropped).',
  ['connector', 'action'],
)
const capFailOpen = counter(
  'framewire_connector_cap_fail_open_total',
  'Events let through uncapped because the cap store (Redis) failed.',
  ['connector'],
)

export interface PipelineMetrics extends CapMetrics {
  filtered(stage: StageName): void
  /** Drops this connector's series (hot reload removed it). */
  remove(): void
}

export function pipelineMetrics(connector: string): PipelineMetrics {
  const failOpen = capFailOpen.labels({ connector })
  return {
    filtered: (stage) => filtered.inc({ connector, stage }),
    capped: (action) => capped.inc({ connector, action }),
    failOpen: () => failOpen.inc(),
    remove() {
      for (const stage of STAGES) filtered.remove({ connector, stage })
      for (const action of CAP_ACTIONS) capped.remove({ connector, action })
      capFailOpen.remove({ connector })
    },
  }
}
