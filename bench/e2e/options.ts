import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { COMMON_FLAGS, commonOptions } from '../lib/flags.ts'
import { positive } from '../lib/numbers.ts'
import { ROOT } from '../lib/run-bench.ts'
import { TRACE_FLAG, traceOption } from '../lib/trace-cost.ts'
import { SINK_NAMES, type SinkName } from './sink-protocol.ts'

/** The end-to-end bench's command line (bench/README.md has the table), checked and with defaults filled in. */

export function parseOptions() {
  const { values: flags } = parseArgs({
    options: {
      ...COMMON_FLAGS,
      /** all: after the healthy run at the first rate, the same run with trace.sampling all, compared as a ratio. */
      ...TRACE_FLAG,
      /** 10 s per rate, 5 s per step, 5 s warm-up, no waiting for a quiet machine; results go to a temp file. */
      quick: { type: 'boolean', default: false },
      /** Fixed rates measured in full, events/s; the first is the baseline of the p99 ratios. */
      rates: { type: 'string', default: '5000,20000' },
      /** Measured seconds per fixed rate. */
      duration: { type: 'string' },
      /** Unmeasured seconds at the same rate before each measurement. */
      warmup: { type: 'string' },
      /** Rates of the staircase, events/s, climbed in one Framewire process until one is not sustained. */
      steps: { type: 'string', default: '1000,2000,3000,4000,5000,6000,7500,10000,15000,20000,30000' },
      'step-duration': { type: 'string' },
      /** Unmeasured seconds at each step's rate before its measurement. */
      'step-settle': { type: 'string' },
      /** Climb every step even after one failed (each later step then starts with a backlog). */
      'all-steps': { type: 'boolean', default: false },
      /** The destination made to hang in the hanging runs. */
      hang: { type: 'string', default: 'amplitude' },
      /** Rates (events/s) at which the hanging run is repeated; each is compared with the healthy run at that rate. */
      'hang-rates': { type: 'string', default: '5000' },
      /** Rates (events/s) at which a healthy run on the embedded bus follows the Kafka one; each is compared with it. */
      'embedded-rates': { type: 'string', default: '5000' },
      /** autocannon instances started 1000/phases ms apart. */
      phases: { type: 'string', default: '50' },
      'per-connection-rate': { type: 'string', default: '2' },
      /**
       * After warming up, wait up to this many seconds for steady state: every connector's backlog at most
       * --settle-backlog-s of events on two consecutive samples a second apart.
       */
      'settle-max': { type: 'string', default: '20' },
      'settle-backlog-s': { type: 'string', default: '0.5' },
      /** Before warming up, wait up to this many seconds until every connection has had an answer. */
      'connect-wait': { type: 'string', default: '30' },
      /** A step is sustained only if its p99 delivery latency (histogram) stays at or below this. */
      'max-p99-ms': { type: 'string', default: '1000' },
      /** … and each connector's Kafka backlog at the end of the step is at most this many seconds of events. */
      'max-backlog-s': { type: 'string', default: '1' },
      /** Wait for a quiet machine first: no bench/ingest run and a 1-minute load average below this. */
      'wait-load': { type: 'string', default: '1.5' },
      /** Longest wait for it, seconds (then the run starts anyway and says so). */
      'wait-max': { type: 'string' },
      /** Before each run, wait up to this many seconds until other processes use under 0.3 of a core. */
      'wait-quiet': { type: 'string' },
      out: { type: 'string' },
    },
  })

  const quick = flags.quick
  const rateList = (name: string, value: string): number[] => {
    const list = value
      .split(',')
      .filter((s) => s.trim() !== '')
      .map((s) => positive(name, s))
    if (list.length === 0) throw new Error(`--${name} needs at least one rate`)
    return list
  }
  const rates = rateList('rates', flags.rates)
  const steps = rateList('steps', flags.steps)
  if (steps.some((r, i) => i > 0 && r <= (steps[i - 1] as number))) throw new Error('--steps must increase')
  const hangRates = flags['hang-rates'] === '' ? [] : rateList('hang-rates', flags['hang-rates'])
  const embeddedRates =
    flags['embedded-rates'] === '' ? [] : rateList('embedded-rates', flags['embedded-rates'])
  if (embeddedRates.some((r) => !rates.includes(r)))
    throw new Error('each --embedded-rates rate must be in --rates')
  const hang = flags.hang as SinkName
  if (!SINK_NAMES.includes(hang)) throw new Error(`--hang must be one of ${SINK_NAMES.join(', ')}`)
  for (const r of hangRates) {
    if (!rates.includes(r)) throw new Error(`--hang-rates: ${r} is not among --rates (the healthy baseline)`)
  }

  return {
    quick,
    rates,
    durationS: positive('duration', flags.duration ?? (quick ? '10' : '60')),
    warmupS: positive('warmup', flags.warmup ?? (quick ? '5' : '10')),
    steps,
    stepDurationS: positive('step-duration', flags['step-duration'] ?? (quick ? '5' : '15')),
    stepSettleS: positive('step-settle', flags['step-settle'] ?? (quick ? '3' : '5')),
    allSteps: flags['all-steps'],
    hang,
    hangRates,
    embeddedRates,
    phases: positive('phases', flags.phases),
    perConnectionRate: positive('per-connection-rate', flags['per-connection-rate']),
    connectWaitS: positive('connect-wait', flags['connect-wait']),
    settleMaxS: positive('settle-max', flags['settle-max']),
    settleBacklogS: positive('settle-backlog-s', flags['settle-backlog-s']),
    maxP99Ms: positive('max-p99-ms', flags['max-p99-ms']),
    maxBacklogS: positive('max-backlog-s', flags['max-backlog-s']),
    waitLoad: positive('wait-load', flags['wait-load']),
    waitMaxS: Number(flags['wait-max'] ?? (quick ? '0' : '600')),
    waitQuietS: Number(flags['wait-quiet'] ?? (quick ? '0' : '60')),
    trace: traceOption(flags.trace),
    ...commonOptions(flags),
    out:
      flags.out ??
      (quick ? join(tmpdir(), 'framewire-e2e-quick.json') : join(ROOT, 'bench/results/e2e.json')),
  }
}

export type Options = ReturnType<typeof parseOptions>
