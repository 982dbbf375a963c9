import { Counter } from 'prom-client'
import { registry } from '../observability/metrics.ts'

export const traceMetrics = {
  writeErrors: new Counter({
    name: 'framewire_trace_write_errors_total',
    help: 'Trace flushes the store refused or that failed (their stages are lost; events are unaffected).',
    registers: [registry],
  }),
  dropped: new Counter({
    name: 'framewire_trace_stages_dropped_total',
    help: 'Trace stages dropped because too many were waiting for the store.',
    registers: [registry],
  }),
}
