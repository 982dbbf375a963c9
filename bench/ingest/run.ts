/**
 * Ingest benchmark: the same realistic load against a ceiling server (bare Fastify + the ingest's JSON
 * parse and schema validation, nothing else) and then against the real Framewire ingest (Redis dedupe,
 * Kafka produce with acks=all), reporting Framewire as a share of the ceiling. See bench/README.md.
 *
 *   npm run bench:ingest -- --connections 50 --duration 20
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Kafka, logLevel } from 'kafkajs'
import { stringify } from 'yaml'
import { kafkaVersion } from '../../src/bus/local-kafka.ts'
import { configSchema } from '../../src/config/schema.ts'
import { createEventValidator } from '../../src/dictionary/event-validator.ts'
import { positive, round } from '../lib/numbers.ts'
import {
  affinityOf,
  cpuSecondsOf,
  hasTaskset,
  loadAverage,
  machineBusySeconds,
  machineNotes,
  memoryOf,
  pinProcess,
} from '../lib/proc.ts'
import {
  counter,
  type Histogram,
  histogram,
  histogramDelta,
  histogramMean,
  histogramQuantile,
  parseMetrics,
  type Sample,
} from '../lib/prometheus.ts'
import { kafkaPids as brokerPids, cpuOfAll, freePort, redisPids } from '../lib/services.ts'
import { type BatchGenerator, createBatchGenerator } from './batches.ts'
import { type LoadFigures, runLoad } from './load.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const GOAL_RATIO = 0.6
const SERVER_CPU = 0
const LOADGEN_CPU = 1
/** produce.linger_ms when the config leaves it out. */
const DEFAULT_LINGER_MS: number = configSchema.properties.produce.properties.linger_ms.default
/** Distinct pre-rendered bodies the load generator cycles through against the ceiling. */
const CEILING_REPLAY_POOL = 32

const { values: flags } = parseArgs({
  options: {
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    /** produce.linger_ms of the main Framewire run; the shipped default when not given. */
    linger: { type: 'string' },
    /** Extra Framewire runs, one per linger_ms value, e.g. 2,10 (investigation; not in the ratio). */
    'sweep-linger': { type: 'string' },
    /** An extra Framewire run with Redis dedupe disabled (redis.url ""), to see what dedupe costs. */
    'sweep-no-redis': { type: 'boolean', default: false },
    brokers: { type: 'string', default: '127.0.0.1:9092' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    'no-pin': { type: 'boolean', default: false },
    'keep-topics': { type: 'boolean', default: false },
    /** Before each measurement, wait up to this many seconds for other processes to leave the CPUs idle. */
    'wait-quiet': { type: 'string', default: '30' },
    /** Ceiling bodies: replay pre-rendered ones (default; the ceiling ignores event_id) or render fresh ones. */
    'ceiling-bodies': { type: 'string', default: 'replay' },
    out: { type: 'string', default: join(ROOT, 'bench/results/ingest.json') },
  },
})

const connections = positive('connections', flags.connections)
const durationSeconds = positive('duration', flags.duration)
const warmupSeconds = Number(flags.warmup ?? 0)
if (flags['ceiling-bodies'] !== 'replay' && flags['ceiling-bodies'] !== 'fresh') {
  throw new Error(`--ceiling-bodies must be replay or fresh, got ${flags['ceiling-bodies']}`)
}
const lingerMs = (value: string): number => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`a linger must be a whole number of ms >= 0, got ${value}`)
  return n
}
const mainLinger = flags.linger === undefined ? undefined : lingerMs(flags.linger)
const sweepLingers = (flags['sweep-linger'] ?? '')
  .split(',')
  .filter((s) => s.trim() !== '')
  .map(lingerMs)

const log = (line: string) => process.stderr.write(`${line}\n`)
const mb = (bytes: number | undefined) => (bytes === undefined ? undefined : round(bytes / 2 ** 20, 1))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// ---------------------------------------------------------------------------------------------------------
// Pinning: the server on core 0, this process (the load generator) on core 1.

// Before pinning: once pinned, the affinity hides the other core from some APIs.
const machine = machineNotes()

const pinning = (() => {
  if (flags['no-pin']) return { used: false, reason: '--no-pin' }
  if (!hasTaskset()) return { used: false, reason: 'taskset not found' }
  if (machine.cores < 2) return { used: false, reason: 'fewer than 2 cores' }
  if (!pinProcess(process.pid, LOADGEN_CPU)) return { used: false, reason: 'taskset refused' }
  return { used: true, reason: 'taskset' }
})()

// ---------------------------------------------------------------------------------------------------------
// Servers

interface Server {
  child: ChildProcess
  pid: number
  url: string
  logFile: string
}

function spawnServer(args: string[], logFile: string, port: number): Server {
  const out = openSync(logFile, 'a')
  const command = pinning.used ? 'taskset' : process.execPath
  const commandArgs = pinning.used ? ['-c', String(SERVER_CPU), process.execPath, ...args] : args
  // taskset execs node, so the child's pid is the server's own.
  const child = spawn(command, commandArgs, { cwd: ROOT, stdio: ['ignore', out, out], env: process.env })
  closeSync(out)
  if (child.pid === undefined) throw new Error(`could not start ${args.join(' ')}`)
  return { child, pid: child.pid, url: `http://127.0.0.1:${port}`, logFile }
}

async function waitReady(server: Server, path: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  let exited: number | null = null
  server.child.once('exit', (code) => {
    exited = code ?? -1
  })
  for (;;) {
    if (exited !== null) throw new Error(`server exited (${exited}) before ready; see ${server.logFile}`)
    try {
      const res = await fetch(server.url + path)
      await res.arrayBuffer()
      if (res.ok) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`server not ready within ${timeoutMs} ms; see ${server.logFile}`)
    await sleep(200)
  }
}

async function stopServer(server: Server) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return
  const exited = new Promise((r) => server.child.once('exit', r))
  server.child.kill('SIGTERM')
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000)
  await exited
  clearTimeout(timer)
}

// ---------------------------------------------------------------------------------------------------------
// Measuring one server

interface CpuShares {
  /** CPU seconds per wall second (1.0 = one core busy), over the measured window. */
  server: number
  load_generator: number
  kafka: number | null
  redis: number | null
  /** Everything else on the machine (other users' builds and tests): noise in the figures when high. */
  other_processes: number | null
}

interface ServerFigures {
  load: LoadFigures
  warmup: { duration_s: number; events_per_s: number; requests_other: number; errors: number } | null
  rss_mb: {
    /** VmHWM: the process's peak resident set over its whole life (start-up, warm-up and run). */
    peak: number | undefined
    /** VmRSS just after the measured run. */
    end: number | undefined
    /** Largest VmRSS sampled every 200 ms during the measured run. */
    max_sampled_during_run: number | undefined
  }
  cpu_cores_used: CpuShares
  /** Server CPU time per accepted event: steadier than events/s when other processes share the cores. */
  server_cpu_us_per_event: number | null
  /** Cores other processes used in the second before the measurement began (see --wait-quiet). */
  other_processes_before_run: number | null
  server_affinity: string | undefined
  server_metrics?: Record<string, unknown>
}

const kafkaPids = () => brokerPids(flags.brokers)

async function scrape(server: Server): Promise<Sample[]> {
  const res = await fetch(`${server.url}/metrics`)
  return parseMetrics(await res.text())
}

/**
 * Waits until processes other than ours, Kafka and Redis use under 0.3 of a core over a second, for at
 * most --wait-quiet seconds. Returns the CPU share they used in the last second sampled.
 */
async function waitQuiet(serverPid: number): Promise<number | undefined> {
  const deadline = Date.now() + Number(flags['wait-quiet']) * 1000
  const ours = () => [serverPid, process.pid, ...kafkaPids(), ...redisPids()]
  let announced = false
  for (;;) {
    const pids = ours()
    const busy0 = machineBusySeconds()
    const ours0 = cpuOfAll(pids)
    const t0 = performance.now()
    await sleep(1000)
    const busy1 = machineBusySeconds()
    if (busy0 === undefined || busy1 === undefined) return undefined
    const seconds = (performance.now() - t0) / 1000
    const other = (busy1 - busy0 - (cpuOfAll(pids) - ours0)) / seconds
    if (other < 0.3 || Date.now() > deadline) {
      if (other >= 0.3)
        log(`  the machine is still busy (${round(other, 2)} cores used by others); measuring anyway`)
      return round(Math.max(0, other), 2)
    }
    if (!announced) log(`  waiting for other processes to quieten (${round(other, 2)} cores busy)`)
    announced = true
  }
}

async function measure(
  server: Server,
  writeKey: string,
  generator: BatchGenerator,
  withMetrics: boolean,
  replayPool?: number,
): Promise<ServerFigures> {
  let warmup: ServerFigures['warmup'] = null
  if (warmupSeconds > 0) {
    log(`  warm-up ${warmupSeconds} s`)
    const w = await runLoad({
      url: server.url,
      writeKey,
      connections,
      durationSeconds: warmupSeconds,
      generator,
    })
    warmup = {
      duration_s: w.duration_s,
      events_per_s: w.events_per_s,
      requests_other: w.requests_other,
      errors: w.errors,
    }
  }

  const otherBefore = await waitQuiet(server.pid)
  const kPids = kafkaPids()
  const rPids = redisPids()
  const before = {
    machine: machineBusySeconds(),
    wall: performance.now(),
    server: cpuSecondsOf(server.pid) ?? 0,
    loadgen: process.cpuUsage(),
    kafka: cpuOfAll(kPids),
    redis: cpuOfAll(rPids),
    metrics: withMetrics ? await scrape(server) : [],
  }
  let maxRss = 0
  const sampler = setInterval(() => {
    maxRss = Math.max(maxRss, memoryOf(server.pid)?.rssBytes ?? 0)
  }, 200)

  log(`  measuring ${durationSeconds} s with ${connections} connections`)
  const load = await runLoad({
    url: server.url,
    writeKey,
    connections,
    durationSeconds,
    generator,
    replayPool,
  })

  clearInterval(sampler)
  const wall = (performance.now() - before.wall) / 1000
  const loadgen = process.cpuUsage(before.loadgen)
  const memory = memoryOf(server.pid)
  const after = {
    machine: machineBusySeconds(),
    server: cpuSecondsOf(server.pid) ?? 0,
    kafka: cpuOfAll(kPids),
    redis: cpuOfAll(rPids),
    metrics: withMetrics ? await scrape(server) : [],
  }
  maxRss = Math.max(maxRss, memory?.rssBytes ?? 0)

  const shares = {
    server: (after.server - before.server) / wall,
    loadgen: (loadgen.user + loadgen.system) / 1e6 / wall,
    kafka: (after.kafka - before.kafka) / wall,
    redis: (after.redis - before.redis) / wall,
  }
  const other =
    before.machine === undefined || after.machine === undefined
      ? null
      : round(
          Math.max(
            0,
            (after.machine - before.machine) / wall -
              shares.server -
              shares.loadgen -
              shares.kafka -
              shares.redis,
          ),
          2,
        )
  const figures: ServerFigures = {
    load,
    warmup,
    rss_mb: { peak: mb(memory?.hwmBytes), end: mb(memory?.rssBytes), max_sampled_during_run: mb(maxRss) },
    cpu_cores_used: {
      server: round(shares.server, 2),
      load_generator: round(shares.loadgen, 2),
      kafka: kPids.length > 0 ? round(shares.kafka, 2) : null,
      redis: rPids.length > 0 ? round(shares.redis, 2) : null,
      other_processes: other,
    },
    server_cpu_us_per_event:
      load.events_accepted > 0
        ? round(((after.server - before.server) * 1e6) / load.events_accepted, 1)
        : null,
    other_processes_before_run: otherBefore ?? null,
    server_affinity: affinityOf(server.pid),
  }
  if (withMetrics) figures.server_metrics = serverMetrics(before.metrics, after.metrics, wall)
  return figures
}

/** What Framewire's own /metrics say about the measured window: where a request's time goes. */
function serverMetrics(before: Sample[], after: Sample[], seconds: number): Record<string, unknown> {
  const delta = (name: string, filter: Record<string, string> = {}): Histogram =>
    histogramDelta(histogram(after, name, filter), histogram(before, name, filter))
  const ms = (s: number | undefined) => (s === undefined ? null : round(s * 1000, 2))
  const counted = (name: string, filter: Record<string, string> = {}) =>
    counter(after, name, filter) - counter(before, name, filter)

  const produce = delta('framewire_ingest_produce_latency_seconds', { outcome: 'ok' })
  const batch = delta('framewire_ingest_produce_batch_records')
  const request = delta('framewire_ingest_request_duration_seconds', { route: '/v1/events' })
  // By suffix: the default metrics' prefix is the app's choice. prom-client resets this histogram on every
  // scrape, so the second scrape's value covers exactly the measured window.
  const gauge = (suffix: string) => after.find((s) => s.name.endsWith(suffix))?.value
  return {
    note: 'deltas over the measured window; quantiles are estimated from histogram buckets',
    request_duration_ms: {
      mean: ms(histogramMean(request)),
      p50: ms(histogramQuantile(request, 0.5)),
      p99: ms(histogramQuantile(request, 0.99)),
    },
    produce_latency_ms: {
      mean: ms(histogramMean(produce)),
      p50: ms(histogramQuantile(produce, 0.5)),
      p99: ms(histogramQuantile(produce, 0.99)),
    },
    produce_requests_per_s: round(produce.count / seconds, 1),
    produce_batch_records: {
      mean: batch.count > 0 ? round(batch.sum / batch.count, 1) : null,
      p50: histogramQuantile(batch, 0.5) ?? null,
      p99: histogramQuantile(batch, 0.99) ?? null,
    },
    produce_errors: delta('framewire_ingest_produce_latency_seconds', { outcome: 'error' }).count,
    events_accepted: counted('framewire_ingest_events_accepted_total'),
    dedupe_hits: counted('framewire_ingest_dedupe_hits_total'),
    redis_errors: counted('framewire_ingest_redis_errors_total'),
    unavailable_503: counted('framewire_ingest_unavailable_total'),
    event_loop_lag_p99_ms: ms(gauge('nodejs_eventloop_lag_p99_seconds')),
  }
}

// ---------------------------------------------------------------------------------------------------------
// The runs

const runId = new Date().toISOString().replace(/[-:]/g, '').replace(/\..+/, '').replace('T', '-')
const workDir = mkdtempSync(join(tmpdir(), 'fw-bench-ingest-'))
const writeKey = `bench-${runId}-write-key`
const createdTopics: string[] = []
const running = new Set<Server>()

async function runCeiling(generator: BatchGenerator): Promise<ServerFigures> {
  log('ceiling server (Fastify + parse + schema validation, no Kafka/Redis)')
  const port = await freePort()
  const server = spawnServer(
    ['bench/ingest/ceiling-server.ts', '--port', String(port), '--write-key', writeKey],
    join(workDir, 'ceiling.log'),
    port,
  )
  running.add(server)
  try {
    await waitReady(server, '/healthz')
    const replay = flags['ceiling-bodies'] === 'fresh' ? undefined : CEILING_REPLAY_POOL
    return await measure(server, writeKey, generator, false, replay)
  } finally {
    await stopServer(server)
    running.delete(server)
  }
}

interface FramewireVariant {
  label: string
  lingerMs?: number
  redis: boolean
  bus: 'kafka' | 'embedded'
}

interface FramewireFigures extends ServerFigures {
  config: {
    linger_ms: number
    linger_is_default: boolean
    redis_dedupe: boolean
    bus: FramewireVariant['bus']
    topic: string
  }
}

async function runFramewire(variant: FramewireVariant, generator: BatchGenerator): Promise<FramewireFigures> {
  log(`framewire ingest (${variant.label})`)
  const port = await freePort()
  const topic = `fw.events.bench-${runId}-${variant.label}`
  const invalid = `fw.invalid.bench-${runId}-${variant.label}`
  if (variant.bus === 'kafka') createdTopics.push(topic, invalid)
  const config = {
    node_id: 'bench',
    ingest: { host: '127.0.0.1', port },
    bus:
      variant.bus === 'kafka'
        ? { type: 'kafka' }
        : { type: 'embedded', path: join(workDir, `bus-${variant.label}.db`) },
    kafka: { brokers: flags.brokers.split(','), client_id: 'framewire-bench' },
    topics: { events: topic, invalid },
    ...(variant.lingerMs === undefined ? {} : { produce: { linger_ms: variant.lingerMs } }),
    redis: { url: variant.redis ? flags.redis : '' },
    sources: [{ name: 'bench', write_key: writeKey }],
  }
  const configFile = join(workDir, `framewire-${variant.label}.yaml`)
  writeFileSync(configFile, stringify(config))
  const server = spawnServer(
    ['bin/framewire.js', 'start', '--role', 'ingest', '--config', configFile],
    join(workDir, `framewire-${variant.label}.log`),
    port,
  )
  running.add(server)
  try {
    await waitReady(server, '/readyz')
    const figures = await measure(server, writeKey, generator, true)
    return {
      ...figures,
      config: {
        linger_ms: variant.lingerMs ?? DEFAULT_LINGER_MS,
        linger_is_default: variant.lingerMs === undefined,
        redis_dedupe: variant.redis,
        bus: variant.bus,
        topic,
      },
    }
  } finally {
    await stopServer(server)
    running.delete(server)
  }
}

async function deleteTopics() {
  if (flags['keep-topics'] || createdTopics.length === 0) return
  const admin = new Kafka({
    clientId: 'framewire-bench',
    brokers: flags.brokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin()
  try {
    await admin.connect()
    const existing = new Set(await admin.listTopics())
    const ours = createdTopics.filter((t) => existing.has(t))
    if (ours.length > 0) await admin.deleteTopics({ topics: ours, timeout: 10_000 })
  } catch (err) {
    log(`could not delete the bench topics (${(err as Error).message}); they hold only bench data`)
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}

/** Throws unless every generated batch is valid: a rejected event would flatter nobody, but skew both runs. */
function checkWorkload(generator: BatchGenerator) {
  const validator = createEventValidator()
  for (let i = 0; i < 1024; i++) {
    const body = JSON.parse(generator.next()) as { events: unknown[] }
    const issues = [
      ...validator.validateEnvelope(body),
      ...body.events.flatMap((e) => validator.validateEvent(e)),
    ]
    if (issues.length > 0) throw new Error(`generated batch is invalid: ${JSON.stringify(issues[0])}`)
  }
}

function summary(name: string, f: ServerFigures) {
  const l = f.load
  log(
    `  ${name}: ${l.events_per_s} events/s (${l.requests_per_s} req/s), p50 ${l.latency_ms.p50} ms, ` +
      `p99 ${l.latency_ms.p99} ms, RSS peak ${f.rss_mb.peak} MB / end ${f.rss_mb.end} MB, ` +
      `server CPU ${f.cpu_cores_used.server} (${f.server_cpu_us_per_event} µs/event), ` +
      `others ${f.cpu_cores_used.other_processes}, non-2xx ${l.requests_other}, errors ${l.errors}`,
  )
}

async function main() {
  const generator = createBatchGenerator({ batchSize: 10 })
  checkWorkload(generator)
  log(
    `pinning: ${pinning.used ? `server on CPU ${SERVER_CPU}, load generator on CPU ${LOADGEN_CPU}` : `off (${pinning.reason})`}`,
  )

  const ceiling = await runCeiling(generator)
  summary('ceiling', ceiling)
  const framewire = await runFramewire(
    {
      label: mainLinger === undefined ? 'main' : `linger${mainLinger}`,
      lingerMs: mainLinger,
      redis: true,
      bus: 'kafka',
    },
    generator,
  )
  summary('framewire', framewire)
  // The same ingest on the embedded SQLite bus: only the bus differs (Redis dedupe in both).
  const embedded = await runFramewire(
    { label: 'embedded', lingerMs: mainLinger, redis: true, bus: 'embedded' },
    generator,
  )
  summary('framewire on the embedded bus', embedded)

  const investigation: FramewireFigures[] = []
  for (const linger of sweepLingers) {
    const f = await runFramewire(
      { label: `linger${linger}`, lingerMs: linger, redis: true, bus: 'kafka' },
      generator,
    )
    summary(`framewire linger_ms=${linger}`, f)
    investigation.push(f)
  }
  if (flags['sweep-no-redis']) {
    const f = await runFramewire(
      { label: 'noredis', lingerMs: mainLinger, redis: false, bus: 'kafka' },
      generator,
    )
    summary('framewire without Redis dedupe', f)
    investigation.push(f)
  }
  await deleteTopics()

  const ratios = (f: ServerFigures) => ({
    events_per_s: round(f.load.events_per_s / ceiling.load.events_per_s),
    p50_latency: round(f.load.latency_ms.p50 / ceiling.load.latency_ms.p50, 2),
    p99_latency: round(f.load.latency_ms.p99 / ceiling.load.latency_ms.p99, 2),
    cpu_per_event:
      f.server_cpu_us_per_event && ceiling.server_cpu_us_per_event
        ? round(ceiling.server_cpu_us_per_event / f.server_cpu_us_per_event)
        : null,
  })
  const mainRatios = ratios(framewire)
  const totalMix = Object.values(generator.mix).reduce((a, b) => a + b, 0)

  const results = {
    benchmark: 'ingest',
    date: new Date().toISOString(),
    goal: {
      description: `Framewire ingest sustains at least ${GOAL_RATIO * 100}% of the ceiling's events/s with acks=all`,
      min_events_per_s_ratio: GOAL_RATIO,
      events_per_s_ratio: mainRatios.events_per_s,
      met: mainRatios.events_per_s >= GOAL_RATIO,
    },
    machine: {
      ...machine,
      memory_gb: round(machine.memory_bytes / 2 ** 30, 1),
      load_average_at_end: loadAverage(),
      kafka_version: kafkaVersion(),
      kafka_on_same_machine: true,
      redis_on_same_machine: true,
      pinning: {
        used: pinning.used,
        how: pinning.used
          ? `taskset: server on CPU ${SERVER_CPU}, load generator on CPU ${LOADGEN_CPU}; Kafka and Redis unpinned`
          : pinning.reason,
        load_generator_affinity: affinityOf(process.pid),
      },
    },
    flags: {
      connections,
      duration_s: durationSeconds,
      warmup_s: warmupSeconds,
      linger_ms: mainLinger ?? DEFAULT_LINGER_MS,
      sweep_linger: sweepLingers,
      sweep_no_redis: flags['sweep-no-redis'],
      ceiling_bodies: flags['ceiling-bodies'],
      wait_quiet_s: Number(flags['wait-quiet']),
      brokers: flags.brokers,
      argv: process.argv.slice(2),
    },
    workload: {
      events_per_request: generator.batchSize,
      event_mix: Object.fromEntries(
        Object.entries(generator.mix)
          .sort(([, a], [, b]) => b - a)
          .map(([type, n]) => [type, round(n / totalMix)]),
      ),
      request_body_bytes_avg: framewire.load.request_body_bytes_avg,
      fresh_ids:
        'every Framewire request carries new event_ids; the ceiling (which ignores event_id) is sent a pool of pre-rendered bodies so the load generator stays out of its way, unless --ceiling-bodies fresh',
      acks: 'all (acks=-1, idempotent producer)',
    },
    ceiling,
    framewire,
    ratios: {
      note: 'framewire / ceiling: events_per_s higher is better (1.0 = as fast as parsing and validating alone); latency ratios lower is better; cpu_per_event = ceiling CPU per event / framewire CPU per event, the events/s ratio both would reach with a whole core each (steadier on a busy machine)',
      ...mainRatios,
    },
    embedded_bus: {
      note: 'the same ingest with the embedded SQLite bus (WAL, synchronous=FULL, group commit) instead of Kafka; events_per_s_vs_kafka > 1 means faster than Kafka in this run',
      figures: embedded,
      events_per_s_vs_kafka: round(embedded.load.events_per_s / framewire.load.events_per_s, 2),
      p99_latency_vs_kafka: round(embedded.load.latency_ms.p99 / framewire.load.latency_ms.p99, 2),
      cpu_per_event_vs_kafka:
        embedded.server_cpu_us_per_event && framewire.server_cpu_us_per_event
          ? round(framewire.server_cpu_us_per_event / embedded.server_cpu_us_per_event, 2)
          : null,
      vs_ceiling: ratios(embedded),
    },
    ...(investigation.length > 0
      ? { investigation: summariseInvestigation(framewire, investigation, ratios) }
      : {}),
  }

  mkdirSync(dirname(flags.out), { recursive: true })
  writeFileSync(flags.out, `${JSON.stringify(results, null, 2)}\n`)
  log(
    `\nframewire / ceiling: events/s ${mainRatios.events_per_s}, p99 ${mainRatios.p99_latency}x; ` +
      `goal (>= ${GOAL_RATIO}) ${results.goal.met ? 'met' : 'NOT met'}`,
  )
  log(`results: ${relative(process.cwd(), flags.out)}`)
  rmSync(workDir, { recursive: true, force: true })
}

/** The extra runs, plus what they say: the best linger of those tried and what Redis dedupe costs. */
function summariseInvestigation(
  main: FramewireFigures,
  extra: FramewireFigures[],
  ratios: (f: ServerFigures) => Record<string, number | null>,
) {
  const withRedis = [main, ...extra].filter((f) => f.config.redis_dedupe)
  const byLinger = Object.fromEntries(
    withRedis
      .sort((a, b) => a.config.linger_ms - b.config.linger_ms)
      .map((f) => [
        String(f.config.linger_ms),
        {
          events_per_s: f.load.events_per_s,
          p99_ms: f.load.latency_ms.p99,
          cpu_us_per_event: f.server_cpu_us_per_event,
        },
      ]),
  )
  const best = withRedis.reduce((a, b) => (b.load.events_per_s > a.load.events_per_s ? b : a))
  const noRedis = extra.find((f) => !f.config.redis_dedupe)
  return {
    linger_ms: {
      runs: byLinger,
      best_by_events_per_s: withRedis.length > 1 ? best.config.linger_ms : null,
    },
    redis_dedupe: noRedis
      ? {
          events_per_s_with: main.load.events_per_s,
          events_per_s_without: noRedis.load.events_per_s,
          cpu_us_per_event_with: main.server_cpu_us_per_event,
          cpu_us_per_event_without: noRedis.server_cpu_us_per_event,
        }
      : null,
    runs: extra.map((f) => ({
      config: f.config,
      events_per_s: f.load.events_per_s,
      latency_ms: f.load.latency_ms,
      ratios: ratios(f),
      rss_mb: f.rss_mb,
      cpu_cores_used: f.cpu_cores_used,
      server_cpu_us_per_event: f.server_cpu_us_per_event,
      server_metrics: f.server_metrics,
      non_2xx: f.load.requests_other,
      errors: f.load.errors,
    })),
  }
}

const cleanUp = async () => {
  await Promise.all([...running].map((s) => stopServer(s)))
}
process.on('SIGINT', () => {
  void cleanUp().then(() => process.exit(130))
})

try {
  await main()
} catch (err) {
  log(`bench failed: ${(err as Error).stack ?? String(err)}`)
  log(`server logs are kept in ${workDir}`)
  await cleanUp()
  process.exitCode = 1
}
