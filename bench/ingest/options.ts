import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { COMMON_FLAGS, commonOptions } from '../lib/flags.ts'
import { positive } from '../lib/numbers.ts'
import { ROOT } from '../lib/run-bench.ts'
import { TRACE_FLAG, traceOption } from '../lib/trace-cost.ts'

/** The ingest bench's command line (bench/README.md has the table), checked and with defaults filled in. */
export function parseOptions() {
  const { values: flags } = parseArgs({
    options: {
      ...COMMON_FLAGS,
      /** all: a second Kafka run with trace.sampling all, reported as a ratio to the main run (tracing off). */
      ...TRACE_FLAG,
      connections: { type: 'string', default: '50' },
      duration: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '5' },
      /** produce.linger_ms of the main Framewire run; the shipped default when not given. */
      linger: { type: 'string' },
      /** Extra Framewire runs, one per linger_ms value, e.g. 2,10 (investigation; not in the ratio). */
      'sweep-linger': { type: 'string' },
      /** An extra Framewire run with Redis dedupe disabled (redis.url ""), to see what dedupe costs. */
      'sweep-no-redis': { type: 'boolean', default: false },
      /** Before each measurement, wait up to this many seconds for other processes to leave the CPUs idle. */
      'wait-quiet': { type: 'string', default: '30' },
      /** Ceiling bodies: replay pre-rendered ones (default; the ceiling ignores event_id) or render fresh ones. */
      'ceiling-bodies': { type: 'string', default: 'replay' },
      out: { type: 'string', default: join(ROOT, 'bench/results/ingest.json') },
    },
  })

  const ceilingBodies = flags['ceiling-bodies']
  if (ceilingBodies !== 'replay' && ceilingBodies !== 'fresh') {
    throw new Error(`--ceiling-bodies must be replay or fresh, got ${ceilingBodies}`)
  }
  const lingerMs = (value: string): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`a linger must be a whole number of ms >= 0, got ${value}`)
    return n
  }
  return {
    connections: positive('connections', flags.connections),
    durationS: positive('duration', flags.duration),
    warmupS: Number(flags.warmup ?? 0),
    mainLinger: flags.linger === undefined ? undefined : lingerMs(flags.linger),
    sweepLingers: (flags['sweep-linger'] ?? '')
      .split(',')
      .filter((s) => s.trim() !== '')
      .map(lingerMs),
    sweepNoRedis: flags['sweep-no-redis'],
    trace: traceOption(flags.trace),
    ceilingBodies,
    waitQuietS: Number(flags['wait-quiet']),
    ...commonOptions(flags),
    out: flags.out,
  }
}

export type Options = ReturnType<typeof parseOptions>
