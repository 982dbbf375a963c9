import { Counter } from 'prom-client'
import type { CapAction } from '../config/types.ts'
import { registry } from '../observability/metrics.ts'
import type { CapMetrics } from './cap-gate.ts'
import { STAGES, type StageName } from './stages.ts'

/** Instruments of the per-connector pipelines, labelled by connector instance name. */

const registers = [registry]
const CAP_ACTIONS: CapAction[] = ['delay', 'sample', 'drop']

const filtered = new Counter({
  name: 'framewire_connector_filtered_total',
  help: 'Events a connector pipeline dropped before the connector transform, by stage (routing, consent, filter, sampling, segments, cap).',
  labelNames: ['connector', 'stage'],
  registers,
})
const capped = new Counter({
  name: 'framewire_connector_capped_total',
  help: 'Events that hit the connector cap, by action: delay (waited for tokens, delivered), sample or drop (dropped).',
  labelNames: ['connector', 'action'],
  registers,
})
const capFailOpen = new Counter({
  name: 'framewire_connector_cap_fail_open_total',
  help: 'Events let through uncapped because the cap store (Redis) failed.',
  labelNames: ['connector'],
  registers,
})

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
