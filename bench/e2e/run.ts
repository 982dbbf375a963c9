/**
 * End-to-end benchmark: players' batches in at a fixed rate, through the ingest, Kafka (acks=all) and three
 * connector workers (amplitude, datadog, webhook types), out to local stand-ins that answer at once.
 * Reports delivery latency per connector (exact at the sinks, and from Framewire's own histogram), the
 * highest rate sustained without backlog growth, and what one hanging destination does to the others.
 * See bench/README.md.
 *
 *   npm run bench:e2e               # full: 60 s per rate, ~8 minutes
 *   npm run bench:e2e -- --quick    # 10 s per rate, 5 s per step: for trying it out, not for the record
 */
import { type ChildProcess, fork, spawn } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { type Admin, Kafka, logLevel } from 'kafkajs'
import { stringify } from 'yaml'
import { kafkaVersion } from '../../src/bus/local-kafka.ts'
import { openSqliteLog } from '../../src/bus/sqlite-log.ts'
import { configSchema } from '../../src/config/schema.ts'
import { createEventValidator } from '../../src/dictionary/event-validator.ts'
import { type BatchGenerator, createBatchGenerator } from '../ingest/batches.ts'
import { positive, round } from '../lib/numbers.ts'
import {
  affinityOf,
  cpuSecondsOf,
  findPids,
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
import { type FixedRateLoad, type LoadWindow, startFixedRate } from './load.ts'
import {
  type AmplitudeRebuild,
  type FromSinks,
  SINK_NAMES,
  SINK_PATHS,
  type SinkName,
  type SinkWindow,
  type ToSinks,
} from './sink-protocol.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const FRAMEWIRE_CPU = 0
const LOADGEN_CPU = 1
const BATCH_SIZE = 10
const GOAL = { rate: 5000, p99Ms: 250 }
const batchingDefaults = configSchema.properties.connectors.items.properties.batching.properties
const retryDefaults = configSchema.properties.connectors.items.properties.retry.properties
const breakerDefaults = configSchema.properties.connectors.items.properties.circuit_breaker.properties

const { values: flags } = parseArgs({
  options: {
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
    'no-pin': { type: 'boolean', default: false },
    brokers: { type: 'string', default: '127.0.0.1:9092' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    'keep-topics': { type: 'boolean', default: false },
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
const durationS = positive('duration', flags.duration ?? (quick ? '10' : '60'))
const warmupS = positive('warmup', flags.warmup ?? (quick ? '5' : '10'))
const stepDurationS = positive('step-duration', flags['step-duration'] ?? (quick ? '5' : '15'))
const stepSettleS = positive('step-settle', flags['step-settle'] ?? (quick ? '3' : '5'))
const phases = positive('phases', flags.phases)
const perConnectionRate = positive('per-connection-rate', flags['per-connection-rate'])
const connectWaitS = positive('connect-wait', flags['connect-wait'])
const settleMaxS = positive('settle-max', flags['settle-max'])
const settleBacklogS = positive('settle-backlog-s', flags['settle-backlog-s'])
const maxP99Ms = positive('max-p99-ms', flags['max-p99-ms'])
const maxBacklogS = positive('max-backlog-s', flags['max-backlog-s'])
const waitLoad = positive('wait-load', flags['wait-load'])
const waitMaxS = Number(flags['wait-max'] ?? (quick ? '0' : '600'))
const waitQuietS = Number(flags['wait-quiet'] ?? (quick ? '0' : '60'))
/** A window in which other processes used more than this many cores is flagged as disturbed. */
const DISTURBED_CORES = 0.3
const hang = flags.hang as SinkName
if (!SINK_NAMES.includes(hang)) throw new Error(`--hang must be one of ${SINK_NAMES.join(', ')}`)
for (const r of hangRates) {
  if (!rates.includes(r)) throw new Error(`--hang-rates: ${r} is not among --rates (the healthy baseline)`)
}
const out =
  flags.out ?? (quick ? join(tmpdir(), 'framewire-e2e-quick.json') : join(ROOT, 'bench/results/e2e.json'))

const log = (line: string) => process.stderr.write(`${line}\n`)
const mb = (bytes: number | undefined) => (bytes === undefined ? null : round(bytes / 2 ** 20, 1))
const ms = (seconds: number | undefined) => (seconds === undefined ? null : round(seconds * 1000, 1))
const sleep = (millis: number) => new Promise((r) => setTimeout(r, millis))
const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a == null || b == null || b === 0 ? null : round(a / b, 2)

// ---------------------------------------------------------------------------------------------------------
// Machine, pinning, waiting for quiet

const machine = machineNotes()
const pinning = (() => {
  if (flags['no-pin']) return { used: false, reason: '--no-pin' }
  if (!hasTaskset()) return { used: false, reason: 'taskset not found' }
  if (machine.cores < 2) return { used: false, reason: 'fewer than 2 cores' }
  if (!pinProcess(process.pid, LOADGEN_CPU)) return { used: false, reason: 'taskset refused' }
  return { used: true, reason: 'taskset' }
})()

async function waitForQuiet(): Promise<{
  waited_s: number
  load_average_at_begin: number | undefined
  quiet: boolean
}> {
  const started = Date.now()
  let announced = false
  for (;;) {
    const others = findPids('bench/ingest/run.ts')
    const load = loadAverage()
    const quiet = others.length === 0 && load !== undefined && load < waitLoad
    const waited = (Date.now() - started) / 1000
    if (quiet || waited >= waitMaxS) {
      if (!quiet && waitMaxS > 0)
        log(
          `the machine is still busy (load ${load}, bench/ingest pids ${others.join(',') || 'none'}); starting anyway`,
        )
      return { waited_s: Math.round(waited), load_average_at_begin: load, quiet }
    }
    if (!announced)
      log(
        `waiting for a quiet machine (load ${load}, want < ${waitLoad}; bench/ingest running: ${others.length > 0}), up to ${waitMaxS} s`,
      )
    announced = true
    await sleep(5000)
  }
}

// ---------------------------------------------------------------------------------------------------------
// Workload checks

/** Throws unless every generated batch is valid: rejected events would be missing from every figure. */
function checkValid(generator: BatchGenerator) {
  const validator = createEventValidator()
  for (let i = 0; i < 512; i++) {
    const body = JSON.parse(generator.next()) as { events: unknown[] }
    const issues = [
      ...validator.validateEnvelope(body),
      ...body.events.flatMap((e) => validator.validateEvent(e)),
    ]
    if (issues.length > 0) throw new Error(`generated batch is invalid: ${JSON.stringify(issues[0])}`)
  }
}

/**
 * Amplitude gets `time` = ts_corrected = ts + (received_at - sent_at), not received_at. If the generator
 * spaces ts a fixed step before sent_at by the event's place in its batch (seq % batch size), received_at =
 * time + (batchSize - seq % batchSize) × step exactly. Checked on generated batches; null if it does not hold.
 */
function amplitudeRebuild(generator: BatchGenerator): AmplitudeRebuild | null {
  let spacing: number | undefined
  for (let i = 0; i < 512; i++) {
    const body = JSON.parse(generator.next()) as { sent_at: number; events: { ts: number; seq: number }[] }
    if (body.events.length !== generator.batchSize) return null
    for (const e of body.events) {
      const places = generator.batchSize - (e.seq % generator.batchSize)
      const gap = body.sent_at - e.ts
      if (gap % places !== 0) return null
      spacing ??= gap / places
      if (gap / places !== spacing) return null
    }
  }
  return spacing === undefined ? null : { batchSize: generator.batchSize, spacingMs: spacing }
}

// ---------------------------------------------------------------------------------------------------------
// Processes: sinks (forked, on the load generator's CPU) and Framewire (spawned, on its own CPU)

const runId = new Date().toISOString().replace(/[-:]/g, '').replace(/\..+/, '').replace('T', '-')
const workDir = mkdtempSync(join(tmpdir(), 'fw-bench-e2e-'))
const writeKey = `bench-e2e-${runId}-write-key`
const children = new Set<ChildProcess>()

interface Sinks {
  child: ChildProcess
  pid: number
  ports: Record<SinkName, number>
  hang(connector: SinkName | null): void
  clear(): void
  window(from: number, to: number, sliceMs: number): Promise<Record<SinkName, SinkWindow>>
}

async function startSinks(rebuild: AmplitudeRebuild | null): Promise<Sinks> {
  const logFd = openSync(join(workDir, 'sinks.log'), 'a')
  // Forked after this process was pinned: the sinks inherit the load generator's CPU.
  const child = fork(join(ROOT, 'bench/e2e/sinks.ts'), [JSON.stringify(rebuild)], {
    stdio: ['ignore', logFd, logFd, 'ipc'],
    cwd: ROOT,
  })
  closeSync(logFd)
  children.add(child)
  const ports = await new Promise<Record<SinkName, number>>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sinks exited (${code}); see ${workDir}/sinks.log`)))
    child.on('message', (m: FromSinks) => {
      if (m.type === 'ready') resolve(m.ports)
    })
  })
  let nextId = 0
  const waiting = new Map<number, (result: Record<SinkName, SinkWindow>) => void>()
  child.on('message', (m: FromSinks) => {
    if (m.type === 'window') waiting.get(m.id)?.(m.result)
  })
  const send = (message: ToSinks) => child.send(message)
  return {
    child,
    pid: child.pid as number,
    ports,
    hang: (connector) => send({ type: 'hang', connector }),
    clear: () => send({ type: 'clear' }),
    window: (from, to, sliceMs) =>
      new Promise((resolve) => {
        const id = nextId++
        waiting.set(id, (result) => {
          waiting.delete(id)
          resolve(result)
        })
        send({ type: 'window', id, from, to, sliceMs })
      }),
  }
}

type BusType = 'kafka' | 'embedded'

interface Framewire {
  bus: BusType
  /** The embedded bus's SQLite file. */
  busPath: string
  child: ChildProcess
  pid: number
  url: string
  port: number
  logFile: string
  topic: string
  groups: Record<SinkName, string>
}

const connectorSettings = (ports: Record<SinkName, number>) => ({
  amplitude: {
    api_key: 'bench-amplitude-key',
    server_url: `http://127.0.0.1:${ports.amplitude}${SINK_PATHS.amplitude}`,
  },
  datadog: { api_key: 'bench-datadog-key', url: `http://127.0.0.1:${ports.datadog}${SINK_PATHS.datadog}` },
  webhook: { url: `http://127.0.0.1:${ports.webhook}${SINK_PATHS.webhook}` },
})

const createdTopicsPrefix = `bench-e2e-${runId}`

async function startFramewire(label: string, sinks: Sinks, bus: BusType): Promise<Framewire> {
  const port = await freePort()
  const busPath = join(workDir, `bus-${label}.db`)
  const topic = `fw.events.${createdTopicsPrefix}-${label}`
  const groupPrefix = `${createdTopicsPrefix}-${label}.`
  const settings = connectorSettings(sinks.ports)
  const config = {
    node_id: 'bench-e2e',
    ingest: { host: '127.0.0.1', port },
    bus: { type: bus, path: busPath },
    kafka: { brokers: flags.brokers.split(','), client_id: 'framewire-bench-e2e', group_prefix: groupPrefix },
    topics: {
      events: topic,
      invalid: `fw.invalid.${createdTopicsPrefix}-${label}`,
      dlq_prefix: `fw.dlq.${createdTopicsPrefix}-${label}.`,
    },
    redis: { url: flags.redis },
    sources: [{ name: 'bench', write_key: writeKey }],
    connectors: SINK_NAMES.map((name) => ({ name, type: name, settings: settings[name] })),
  }
  const configFile = join(workDir, `framewire-${label}.yaml`)
  writeFileSync(configFile, stringify(config))
  const logFile = join(workDir, `framewire-${label}.log`)
  const logFd = openSync(logFile, 'a')
  const args = ['bin/framewire.js', 'start', '--role', 'all', '--config', configFile]
  const child = pinning.used
    ? spawn('taskset', ['-c', String(FRAMEWIRE_CPU), process.execPath, ...args], {
        cwd: ROOT,
        stdio: ['ignore', logFd, logFd],
      })
    : spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', logFd, logFd] })
  closeSync(logFd)
  if (child.pid === undefined) throw new Error('could not start Framewire')
  children.add(child)
  const fw: Framewire = {
    bus,
    busPath,
    child,
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    port,
    logFile,
    topic,
    groups: Object.fromEntries(SINK_NAMES.map((n) => [n, `${groupPrefix}connector.${n}`])) as Record<
      SinkName,
      string
    >,
  }
  await waitReady(fw)
  if (bus === 'kafka') await waitGroupsStable(Object.values(fw.groups))
  else await waitLeases(fw)
  return fw
}

async function waitReady(fw: Framewire, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (fw.child.exitCode !== null)
      throw new Error(`Framewire exited (${fw.child.exitCode}); see ${fw.logFile}`)
    try {
      const res = await fetch(`${fw.url}/readyz`)
      await res.arrayBuffer()
      if (res.ok) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`Framewire not ready within ${timeoutMs} ms; see ${fw.logFile}`)
    await sleep(200)
  }
}

async function stopFramewire(fw: Framewire) {
  const child = fw.child
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    await exited
    clearTimeout(timer)
  }
  children.delete(child)
}

// ---------------------------------------------------------------------------------------------------------
// Kafka: group readiness, the true backlog per connector, clean-up

let adminClient: Admin | undefined
async function admin(): Promise<Admin> {
  if (!adminClient) {
    adminClient = new Kafka({
      clientId: 'framewire-bench-e2e',
      brokers: flags.brokers.split(','),
      logLevel: logLevel.NOTHING,
    }).admin()
    await adminClient.connect()
  }
  return adminClient
}

/** Waits until every connector's consumer group has a member and is Stable, so warm-up is not a rebalance. */
async function waitGroupsStable(groups: string[], timeoutMs = 60_000) {
  const a = await admin()
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const { groups: described } = await a.describeGroups(groups)
    if (described.every((g) => g.state === 'Stable' && g.members.length > 0)) return
    if (Date.now() > deadline) throw new Error(`consumer groups not stable within ${timeoutMs} ms`)
    await sleep(250)
  }
}

/**
 * Records in the topic that each connector's group has not committed: the log end minus the committed
 * offset, summed over partitions. Unlike framewire_connector_consumer_lag_records (consumed but not yet
 * committed), this includes what the worker has not even fetched, so it grows when the worker falls behind.
 */
async function backlog(fw: Framewire): Promise<Record<SinkName, number>> {
  if (fw.bus === 'embedded') return embeddedBacklog(fw)
  const a = await admin()
  // Committed offsets first, then the log end: read the other way round, a commit in between could make a
  // backlog negative.
  const committedByGroup = await Promise.all(
    SINK_NAMES.map((name) => a.fetchOffsets({ groupId: fw.groups[name], topics: [fw.topic] })),
  )
  const ends = await a.fetchTopicOffsets(fw.topic)
  const result = {} as Record<SinkName, number>
  for (const [i, name] of SINK_NAMES.entries()) {
    const [committed] = committedByGroup[i] ?? []
    const byPartition = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]))
    let lag = 0
    for (const end of ends) {
      const c = byPartition.get(end.partition) ?? -1
      lag += Number(end.high) - (c >= 0 ? c : Number(end.low))
    }
    result[name] = lag
  }
  return result
}

// ---------------------------------------------------------------------------------------------------------
// The embedded bus: the same readings from its SQLite file, opened beside the running process

/** Waits until each connector's group holds its lease, i.e. its worker subscribed. */
async function waitLeases(fw: Framewire, timeoutMs = 60_000) {
  const log = openSqliteLog(fw.busPath)
  try {
    const deadline = Date.now() + timeoutMs
    while (
      !Object.values(fw.groups).every((g) => (log.statements.lease.get(g)?.expires_at ?? 0) > Date.now())
    ) {
      if (Date.now() > deadline) throw new Error(`embedded bus groups not subscribed within ${timeoutMs} ms`)
      await sleep(250)
    }
  } finally {
    log.close()
  }
}

/** Log end minus committed offset per connector group, as for Kafka; offsets below retention count from the low end. */
function embeddedBacklog(fw: Framewire): Record<SinkName, number> {
  const log = openSqliteLog(fw.busPath)
  try {
    const topic = log.topic(fw.topic)
    const result = {} as Record<SinkName, number>
    for (const name of SINK_NAMES) {
      let lag = 0
      for (let p = 0; topic && p < topic.partitions; p++) {
        const committed = log.committed(fw.groups[name], topic.id, p) ?? log.lowWatermark(topic.id, p)
        lag += log.highWatermark(topic.id, p) - committed
      }
      result[name] = lag
    }
    return result
  } finally {
    log.close()
  }
}

/**
 * Connections waiting in the kernel's accept queue of the ingest's listening socket (rx_queue of its LISTEN
 * line in /proc/net/tcp). Node accepts one connection per event-loop iteration (libuv ≥ 1.45), so while
 * the event loop runs long iterations new connections wait here, before the ingest sees their requests.
 */
function acceptQueue(port: number): number | null {
  try {
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
    for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A') {
        return Number.parseInt(fields[4]?.split(':')[1] ?? '0', 16)
      }
    }
  } catch {
    // not Linux
  }
  return null
}

interface ConnectionSetup {
  opened: number
  answered: number
  /** Seconds from opening until every connection had an answer (null: not within --connect-wait). */
  all_answered_after_s: number | null
}

/** Waits until every connection opened so far has had an answer, at most --connect-wait seconds. */
async function waitForConnections(load: FixedRateLoad): Promise<ConnectionSetup> {
  const started = performance.now()
  while (load.answeredConnections() < load.connections && performance.now() - started < connectWaitS * 1000) {
    await sleep(250)
  }
  const all = load.answeredConnections() >= load.connections
  if (!all)
    log(
      `  only ${load.answeredConnections()} of ${load.connections} connections answered within ${connectWaitS} s`,
    )
  return {
    opened: load.connections,
    answered: load.answeredConnections(),
    all_answered_after_s: all ? round((performance.now() - started) / 1000, 1) : null,
  }
}

/** Records in __consumer_offsets: every offset commit (of any group on the broker) appends one per partition. */
async function offsetCommitRecords(): Promise<number> {
  const ends = await (await admin()).fetchTopicOffsets('__consumer_offsets')
  return ends.reduce((sum, e) => sum + Number(e.high), 0)
}

interface Settling {
  /** Seconds waited after the warm-up until the backlogs were small (null: not within --settle-max). */
  settled_after_s: number | null
  backlog_after_warmup: Record<SinkName, number>
}

/** Waits for steady state: each connector (but a hanging one) at most --settle-backlog-s of events behind. */
async function waitForSteadyState(fw: Framewire, rate: number, hanging: SinkName | null): Promise<Settling> {
  const started = performance.now()
  const limit = settleBacklogS * rate
  const first = await backlog(fw)
  let current = first
  let calm = 0
  for (;;) {
    const small = SINK_NAMES.every((n) => n === hanging || current[n] <= limit)
    calm = small ? calm + 1 : 0
    if (calm >= 2)
      return { settled_after_s: round((performance.now() - started) / 1000, 1), backlog_after_warmup: first }
    if (performance.now() - started > settleMaxS * 1000) {
      log(
        `  not in steady state after ${settleMaxS} s (backlog ${JSON.stringify(current)}); measuring anyway`,
      )
      return { settled_after_s: null, backlog_after_warmup: first }
    }
    await sleep(1000)
    current = await backlog(fw)
  }
}

/**
 * Waits (up to --wait-quiet s) until processes other than ours, Kafka and Redis use under 0.3 of a core
 * over a second. Returns the cores they used in the last second sampled.
 */
async function waitOthersQuiet(ours: number[]): Promise<number | null> {
  const deadline = Date.now() + waitQuietS * 1000
  let announced = false
  for (;;) {
    const pids = [process.pid, ...ours, ...kafkaPids(), ...redisPids()]
    const busy0 = machineBusySeconds()
    const ours0 = cpuOfAll(pids)
    const t0 = performance.now()
    await sleep(1000)
    const busy1 = machineBusySeconds()
    if (busy0 === undefined || busy1 === undefined) return null
    const other = Math.max(0, (busy1 - busy0 - (cpuOfAll(pids) - ours0)) / ((performance.now() - t0) / 1000))
    if (other < DISTURBED_CORES || Date.now() > deadline) {
      if (other >= DISTURBED_CORES && waitQuietS > 0)
        log(`  other processes still use ${round(other, 2)} cores; starting anyway`)
      return round(other, 2)
    }
    if (!announced) log(`  waiting for other processes to quieten (${round(other, 2)} cores busy)`)
    announced = true
  }
}

async function cleanUpKafka() {
  if (flags['keep-topics']) return
  try {
    const a = await admin()
    const ours = (await a.listTopics()).filter((t) => t.includes(createdTopicsPrefix))
    if (ours.length > 0) await a.deleteTopics({ topics: ours, timeout: 20_000 })
    const { groups } = await a.listGroups()
    const ourGroups = groups.map((g) => g.groupId).filter((g) => g.startsWith(createdTopicsPrefix))
    if (ourGroups.length > 0) await a.deleteGroups(ourGroups).catch(() => undefined)
  } catch (err) {
    log(`could not delete the bench topics/groups (${(err as Error).message}); they hold only bench data`)
  }
}

// ---------------------------------------------------------------------------------------------------------
// Measuring a window

const kafkaPids = () => brokerPids(flags.brokers)

async function scrape(fw: Framewire): Promise<Sample[]> {
  const res = await fetch(`${fw.url}/metrics`)
  return parseMetrics(await res.text())
}

interface Snapshot {
  at: number
  wall: number
  machine: number | undefined
  framewire: number
  sinks: number
  loadgen: NodeJS.CpuUsage
  kafka: number
  redis: number
  metrics: Sample[]
  backlog: Record<SinkName, number>
  commits: number
}

async function snapshot(fw: Framewire, sinks: Sinks, kPids: number[], rPids: number[]): Promise<Snapshot> {
  const metrics = await scrape(fw)
  return {
    at: Date.now(),
    wall: performance.now(),
    machine: machineBusySeconds(),
    framewire: cpuSecondsOf(fw.pid) ?? 0,
    sinks: cpuSecondsOf(sinks.pid) ?? 0,
    loadgen: process.cpuUsage(),
    kafka: cpuOfAll(kPids),
    redis: cpuOfAll(rPids),
    metrics,
    backlog: await backlog(fw),
    // Kafka: records appended to __consumer_offsets; embedded: the bus's write transactions.
    commits:
      fw.bus === 'kafka'
        ? await offsetCommitRecords()
        : counter(metrics, 'framewire_bus_write_seconds_count'),
  }
}

interface ConnectorFigures {
  /** From framewire_delivery_latency_seconds: the delta of two scrapes, quantiles interpolated in buckets. */
  histogram_ms: {
    count: number
    mean: number | null
    p50: number | null
    p90: number | null
    p99: number | null
    /** The histogram cannot give a max: this is the upper bound of the highest bucket with deliveries. */
    max_at_most: number | null
  }
  /** Exact, per event, at the sink: arrival wall time minus received_at. */
  exact_ms: SinkWindow['exact_ms'] & { method: string | null }
  /** Exact p50/p99/max per 10 s of the window: flat when sustained, climbing when a backlog builds. */
  exact_slices: SinkWindow['slices']
  delivered_per_s: number
  /** Requests the sink answered per second, and events per request (the batch size the worker reached). */
  sink_requests_per_s: number
  events_per_request: number | null
  /** Events the sink saw in the window ÷ deliveries Framewire counted (≈1; a cross-check). */
  sink_vs_delivered: number | null
  /** The connector group's true backlog in Kafka (records), at the window's start and end, and the most seen. */
  backlog: { start: number; end: number; max: number; end_s_of_events: number }
  retries: number
  dead_lettered: number
  send_results: Record<string, number>
  circuit_state_end: number | null
  buffered_records_end: number | null
  hung_requests: number
}

interface WindowFigures {
  label: string
  target_events_per_s: number
  hanging: SinkName | null
  load: LoadWindow & { connections: number; phases: number }
  /** How long it took until every connection had been answered once (before warm-up and measurement). */
  connection_setup: ConnectionSetup
  /** After the warm-up: how long until the backlogs were small (steady state), before measuring. */
  settling: Settling
  /** The ingest's accept queue (connections not yet accepted) at the window's start and end, and the most seen. */
  accept_queue: { start: number | null; end: number | null; max: number | null }
  connectors: Record<SinkName, ConnectorFigures>
  ingest: {
    unavailable_503: number
    request_duration_ms: { p50: number | null; p99: number | null }
    produce_latency_ms: { p50: number | null; p99: number | null }
  }
  cpu_cores_used: {
    framewire: number
    sinks: number
    load_generator: number
    kafka: number | null
    redis: number | null
    other_processes: number | null
  }
  framewire_rss_mb: { end: number | null; peak: number | null; max_sampled: number | null }
  framewire_event_loop_lag_p99_ms: number | null
  /** Other processes used more than 0.3 of a core in the window: figures pessimistic by an unknown amount. */
  disturbed: boolean
  /** Cores other processes used in the second before the run started (after waiting for quiet). */
  other_processes_before_run: number | null
  bus: BusType
  /** Kafka: offset commits per second on the broker (records appended to __consumer_offsets; all groups). */
  kafka_offset_commits_per_s: number | null
  /** Embedded bus: write transactions per second (group commits of appends and offset commits). */
  embedded_bus_writes_per_s: number | null
  sustained: { ok: boolean; reasons: string[] }
}

async function measureWindow(
  label: string,
  fw: Framewire,
  sinks: Sinks,
  load: FixedRateLoad,
  rate: number,
  seconds: number,
  hanging: SinkName | null,
  setup: ConnectionSetup,
  settling: Settling,
): Promise<WindowFigures> {
  const kPids = kafkaPids()
  const rPids = redisPids()
  const before = await snapshot(fw, sinks, kPids, rPids)
  load.markStart()
  const acceptStart = acceptQueue(fw.port)
  let acceptMax = acceptStart
  const maxBacklog = { ...before.backlog }
  let maxRss = 0
  const deadline = performance.now() + seconds * 1000
  while (performance.now() < deadline) {
    await sleep(Math.min(2000, Math.max(0, deadline - performance.now())))
    maxRss = Math.max(maxRss, memoryOf(fw.pid)?.rssBytes ?? 0)
    const queued = acceptQueue(fw.port)
    if (queued !== null) acceptMax = Math.max(acceptMax ?? 0, queued)
    if (deadline - performance.now() > 500) {
      const b = await backlog(fw)
      for (const n of SINK_NAMES) maxBacklog[n] = Math.max(maxBacklog[n], b[n])
    }
  }
  const loadWindow = load.markEnd()
  const acceptEnd = acceptQueue(fw.port)
  const after = await snapshot(fw, sinks, kPids, rPids)
  const memory = memoryOf(fw.pid)
  maxRss = Math.max(maxRss, memory?.rssBytes ?? 0)
  const wall = (after.wall - before.wall) / 1000
  const sinkWindows = await sinks.window(before.at, after.at, 10_000)

  const delta = (name: string, filter: Record<string, string> = {}): Histogram =>
    histogramDelta(histogram(after.metrics, name, filter), histogram(before.metrics, name, filter))
  const counted = (name: string, filter: Record<string, string> = {}) =>
    counter(after.metrics, name, filter) - counter(before.metrics, name, filter)
  const gauge = (name: string, filter: Record<string, string>) => {
    const s = after.metrics.find(
      (m) => m.name === name && Object.entries(filter).every(([k, v]) => m.labels[k] === v),
    )
    return s?.value ?? null
  }

  const connectors = {} as Record<SinkName, ConnectorFigures>
  for (const name of SINK_NAMES) {
    const h = delta('framewire_delivery_latency_seconds', { connector: name })
    const delivered = counted('framewire_connector_delivered_total', { connector: name })
    const top = h.buckets.find((b) => b.count === h.count)
    const sendResults: Record<string, number> = {}
    for (const result of ['ok', 'partial', 'failed', 'error']) {
      const n = delta('framewire_connector_send_duration_seconds', { connector: name, result }).count
      if (n > 0) sendResults[result] = n
    }
    const sink = sinkWindows[name]
    connectors[name] = {
      histogram_ms: {
        count: h.count,
        mean: ms(histogramMean(h)),
        p50: ms(histogramQuantile(h, 0.5)),
        p90: ms(histogramQuantile(h, 0.9)),
        p99: ms(histogramQuantile(h, 0.99)),
        max_at_most:
          h.count === 0 || !top ? null : Number.isFinite(top.le) ? ms(top.le) : Number.POSITIVE_INFINITY,
      },
      exact_ms: { ...sink.exact_ms, method: sink.exact_method },
      exact_slices: sink.slices,
      delivered_per_s: Math.round(delivered / wall),
      sink_requests_per_s: round(sink.requests_in_window / wall, 1),
      events_per_request: sink.requests_in_window > 0 ? round(delivered / sink.requests_in_window, 1) : null,
      sink_vs_delivered: sink.exact_method && delivered > 0 ? round(sink.events / delivered) : null,
      backlog: {
        start: before.backlog[name],
        end: after.backlog[name],
        max: Math.max(maxBacklog[name], after.backlog[name]),
        end_s_of_events: round(after.backlog[name] / rate, 2),
      },
      retries: counted('framewire_connector_retries_total', { connector: name }),
      dead_lettered: counted('framewire_connector_dead_lettered_total', { connector: name }),
      send_results: sendResults,
      circuit_state_end: gauge('framewire_connector_circuit_state', { connector: name }),
      buffered_records_end: gauge('framewire_connector_buffered_records', { connector: name }),
      hung_requests: sink.hung_requests,
    }
  }

  const request = delta('framewire_ingest_request_duration_seconds', { route: '/v1/events' })
  const produce = delta('framewire_ingest_produce_latency_seconds', { outcome: 'ok' })
  const loadgen = process.cpuUsage(before.loadgen)
  const shares = {
    framewire: (after.framewire - before.framewire) / wall,
    sinks: (after.sinks - before.sinks) / wall,
    load_generator: (loadgen.user + loadgen.system) / 1e6 / wall,
    kafka: (after.kafka - before.kafka) / wall,
    redis: (after.redis - before.redis) / wall,
  }
  const others =
    before.machine === undefined || after.machine === undefined
      ? null
      : round(
          Math.max(
            0,
            (after.machine - before.machine) / wall - Object.values(shares).reduce((a, b) => a + b),
          ),
          2,
        )
  // prom-client resets the event-loop-lag histogram on each scrape: the second scrape covers the window.
  const lagP99 = after.metrics.find((s) => s.name.endsWith('eventloop_lag_p99_seconds'))?.value

  const figures: WindowFigures = {
    label,
    target_events_per_s: rate,
    hanging,
    load: { ...loadWindow, connections: load.connections, phases: load.phases },
    connection_setup: setup,
    settling,
    accept_queue: {
      start: acceptStart,
      end: acceptEnd,
      max: acceptMax === null || acceptEnd === null ? null : Math.max(acceptMax, acceptEnd),
    },
    connectors,
    ingest: {
      unavailable_503: counted('framewire_ingest_unavailable_total'),
      request_duration_ms: {
        p50: ms(histogramQuantile(request, 0.5)),
        p99: ms(histogramQuantile(request, 0.99)),
      },
      produce_latency_ms: {
        p50: ms(histogramQuantile(produce, 0.5)),
        p99: ms(histogramQuantile(produce, 0.99)),
      },
    },
    cpu_cores_used: {
      framewire: round(shares.framewire, 2),
      sinks: round(shares.sinks, 2),
      load_generator: round(shares.load_generator, 2),
      kafka: kPids.length > 0 ? round(shares.kafka, 2) : null,
      redis: rPids.length > 0 ? round(shares.redis, 2) : null,
      other_processes: others,
    },
    framewire_rss_mb: { end: mb(memory?.rssBytes), peak: mb(memory?.hwmBytes), max_sampled: mb(maxRss) },
    framewire_event_loop_lag_p99_ms: ms(lagP99),
    disturbed: others !== null && others > DISTURBED_CORES,
    other_processes_before_run: null,
    bus: fw.bus,
    kafka_offset_commits_per_s:
      fw.bus === 'kafka' ? Math.round((after.commits - before.commits) / wall) : null,
    embedded_bus_writes_per_s:
      fw.bus === 'embedded' ? Math.round((after.commits - before.commits) / wall) : null,
    sustained: { ok: true, reasons: [] },
  }
  figures.sustained = verdict(figures)
  return figures
}

/** Whether the pipeline kept up at this rate, and if not, why (the criteria are in bench/README.md). */
function verdict(f: WindowFigures): { ok: boolean; reasons: string[] } {
  const reasons: string[] = []
  const l = f.load
  if (l.achieved_ratio < 0.98)
    reasons.push(
      `accepted ${l.accepted_events_per_s} events/s, ${round(l.achieved_ratio * 100, 1)}% of the target`,
    )
  if (l.non_2xx > 0) reasons.push(`${l.non_2xx} non-2xx answers (${JSON.stringify(l.status_codes)})`)
  if (l.errors > 0) reasons.push(`${l.errors} request errors (${JSON.stringify(l.error_codes)})`)
  if (l.connections_answered < f.load.connections)
    reasons.push(
      `${f.load.connections - l.connections_answered} of ${f.load.connections} connections had no answer in the window`,
    )
  for (const name of SINK_NAMES) {
    if (name === f.hanging) continue
    const c = f.connectors[name]
    if (c.delivered_per_s < 0.98 * l.accepted_events_per_s)
      reasons.push(`${name} delivered ${c.delivered_per_s}/s of ${l.accepted_events_per_s}/s accepted`)
    if (c.backlog.end > maxBacklogS * f.target_events_per_s)
      reasons.push(
        `${name} backlog ${c.backlog.end} records at the end (${c.backlog.end_s_of_events} s of events)`,
      )
    if (c.histogram_ms.p99 === null || c.histogram_ms.p99 > maxP99Ms)
      reasons.push(`${name} p99 ${c.histogram_ms.p99} ms > ${maxP99Ms} ms`)
  }
  return { ok: reasons.length === 0, reasons }
}

function summaryLine(f: WindowFigures) {
  const parts = SINK_NAMES.map((n) => {
    const c = f.connectors[n]
    const e = c.exact_ms
    return `${n} p50/p99/max ${e.p50 ?? '-'}/${e.p99 ?? '-'}/${e.max ?? '-'} ms exact, p99 ${c.histogram_ms.p99 ?? '-'} ms hist, backlog ${c.backlog.end}`
  })
  log(
    `  ${f.label}${f.disturbed ? ' [DISTURBED: other processes busy]' : ''}: accepted ${f.load.accepted_events_per_s}/s (${round(f.load.achieved_ratio * 100, 1)}%), ` +
      `non-2xx ${f.load.non_2xx}, ingest p99 ${f.load.ingest_latency_ms.p99} ms, ` +
      `connections ${f.load.connections_answered}/${f.load.connections} answered, accept queue max ${f.accept_queue.max}, ` +
      `settled after ${f.settling.settled_after_s ?? `>${settleMaxS}`} s, ` +
      `CPU fw ${f.cpu_cores_used.framewire} sinks ${f.cpu_cores_used.sinks} gen ${f.cpu_cores_used.load_generator} ` +
      `kafka ${f.cpu_cores_used.kafka} redis ${f.cpu_cores_used.redis} others ${f.cpu_cores_used.other_processes}`,
  )
  for (const p of parts) log(`    ${p}`)
  log(`    sustained: ${f.sustained.ok ? 'yes' : `no (${f.sustained.reasons.join('; ')})`}`)
}

// ---------------------------------------------------------------------------------------------------------
// Runs

async function fixedRateRun(
  label: string,
  rate: number,
  hanging: SinkName | null,
  sinks: Sinks,
  generator: BatchGenerator,
  bus: BusType = 'kafka',
): Promise<WindowFigures> {
  log(
    `${label}: ${rate} events/s on the ${bus} bus${hanging ? `, ${hanging} hanging` : ''}, ${warmupS} s warm-up + ${durationS} s`,
  )
  const othersBefore = await waitOthersQuiet([sinks.pid])
  sinks.hang(hanging)
  sinks.clear()
  const fw = await startFramewire(label, sinks, bus)
  let load: FixedRateLoad | undefined
  try {
    load = startFixedRate(loadOptions(fw, rate, generator))
    const setup = await waitForConnections(load)
    log(
      `  ${setup.answered}/${setup.opened} connections answered after ${setup.all_answered_after_s ?? `>${connectWaitS}`} s; warm-up`,
    )
    await sleep(warmupS * 1000)
    // With connections still unaccepted the ingest is past capacity: no steady state to wait for.
    const settling =
      setup.all_answered_after_s === null
        ? { settled_after_s: null, backlog_after_warmup: await backlog(fw) }
        : await waitForSteadyState(fw, rate, hanging)
    const figures = await measureWindow(label, fw, sinks, load, rate, durationS, hanging, setup, settling)
    figures.other_processes_before_run = othersBefore
    summaryLine(figures)
    return figures
  } finally {
    await load?.stop()
    // Let the held requests go, so the hanging worker's drain does not wait for them.
    sinks.hang(null)
    await stopFramewire(fw)
  }
}

const loadOptions = (fw: Framewire, rate: number, generator: BatchGenerator) => ({
  url: fw.url,
  writeKey,
  eventsPerSecond: rate,
  generator,
  phases,
  perConnectionRate,
})

async function staircase(sinks: Sinks, generator: BatchGenerator) {
  log(`staircase: ${steps.join(' → ')} events/s, ${stepSettleS} s settle + ${stepDurationS} s each`)
  const othersBefore = await waitOthersQuiet([sinks.pid])
  sinks.hang(null)
  sinks.clear()
  const fw = await startFramewire('staircase', sinks, 'kafka')
  const results: WindowFigures[] = []
  let load: FixedRateLoad | undefined
  try {
    let previous = 0
    for (const rate of steps) {
      // One load for the whole climb: each step adds the increment's connections, the others stay open.
      if (!load) load = startFixedRate(loadOptions(fw, rate, generator))
      else load.increase(rate - previous)
      previous = rate
      const setup = await waitForConnections(load)
      await sleep(stepSettleS * 1000)
      const measureStep = async (label: string) => {
        const settling = await waitForSteadyState(fw, rate, null)
        return measureWindow(
          label,
          fw,
          sinks,
          load as FixedRateLoad,
          rate,
          stepDurationS,
          null,
          setup,
          settling,
        )
      }
      let figures = await measureStep(`step-${rate}`)
      if (results.length === 0) figures.other_processes_before_run = othersBefore
      summaryLine(figures)
      // A step that failed while other processes took the CPUs gets one more try once they are quiet (the
      // load keeps running); the disturbed attempt is kept in the results too.
      if (!figures.sustained.ok && figures.disturbed) {
        results.push(figures)
        const others = await waitOthersQuiet([sinks.pid])
        figures = await measureStep(`step-${rate}-retry`)
        figures.other_processes_before_run = others
        summaryLine(figures)
      }
      results.push(figures)
      if (!figures.sustained.ok && !flags['all-steps']) break
    }
  } finally {
    await load?.stop()
    await stopFramewire(fw)
  }
  // The verdict of a step is that of its last attempt (a retry replaces a disturbed failure).
  const finals = results.filter((r, i) => results[i + 1]?.target_events_per_s !== r.target_events_per_s)
  let highest: number | null = null
  for (const r of finals) {
    if (!r.sustained.ok) break
    highest = r.target_events_per_s
  }
  const firstFailed = finals.find((r) => !r.sustained.ok)
  return {
    method:
      `one Framewire process, rates climbed in order without restarting; each step adds the increment's ` +
      `connections (the earlier ones stay open), waits until they have been answered, runs ${stepSettleS} s ` +
      `unmeasured at the new rate, then ${stepDurationS} s measured; the climb stops at the first step not sustained`,
    highest_sustained_events_per_s: highest,
    /** True when every step was sustained: the real limit is higher than the last step. */
    highest_is_lower_bound: firstFailed === undefined,
    first_not_sustained: firstFailed
      ? { events_per_s: firstFailed.target_events_per_s, reasons: firstFailed.sustained.reasons }
      : null,
    steps: results.map((r) => ({
      label: r.label,
      target_events_per_s: r.target_events_per_s,
      accepted_events_per_s: r.load.accepted_events_per_s,
      sustained: r.sustained,
      non_2xx: r.load.non_2xx,
      connections: r.load.connections,
      connections_all_answered_after_s: r.connection_setup.all_answered_after_s,
      settled_after_s: r.settling.settled_after_s,
      accept_queue_max: r.accept_queue.max,
      ingest_latency_p99_ms: r.load.ingest_latency_ms.p99,
      p99_ms_histogram: Object.fromEntries(SINK_NAMES.map((n) => [n, r.connectors[n].histogram_ms.p99])),
      p99_ms_exact: Object.fromEntries(SINK_NAMES.map((n) => [n, r.connectors[n].exact_ms.p99])),
      backlog_end: Object.fromEntries(SINK_NAMES.map((n) => [n, r.connectors[n].backlog.end])),
      delivered_per_s: Object.fromEntries(SINK_NAMES.map((n) => [n, r.connectors[n].delivered_per_s])),
      cpu_cores_used: r.cpu_cores_used,
      framewire_event_loop_lag_p99_ms: r.framewire_event_loop_lag_p99_ms,
      kafka_offset_commits_per_s: r.kafka_offset_commits_per_s,
      disturbed: r.disturbed,
    })),
    full: results,
  }
}

/** p99 of one connector: exact where the sink measures it, else the histogram's estimate. */
function bestP99(c: ConnectorFigures): { value: number | null; from: 'exact' | 'histogram' } {
  return c.exact_ms.p99 !== null
    ? { value: c.exact_ms.p99, from: 'exact' }
    : { value: c.histogram_ms.p99, from: 'histogram' }
}

function perConnectorTable(f: WindowFigures) {
  return Object.fromEntries(
    SINK_NAMES.map((n) => {
      const c = f.connectors[n]
      return [
        n,
        {
          exact: { p50: c.exact_ms.p50, p99: c.exact_ms.p99, max: c.exact_ms.max, count: c.exact_ms.count },
          histogram: {
            p50: c.histogram_ms.p50,
            p99: c.histogram_ms.p99,
            max_at_most: c.histogram_ms.max_at_most,
            count: c.histogram_ms.count,
          },
        },
      ]
    }),
  )
}

let sinksAffinity: string | undefined

async function main() {
  const generator = createBatchGenerator({ batchSize: BATCH_SIZE })
  checkValid(generator)
  const rebuild = amplitudeRebuild(generator)
  log(
    `pinning: ${pinning.used ? `Framewire on CPU ${FRAMEWIRE_CPU}; load generator and sinks on CPU ${LOADGEN_CPU}; Kafka and Redis unpinned` : `off (${pinning.reason})`}`,
  )
  log(
    `amplitude exact latency: ${rebuild ? `rebuilt from time (ts spacing ${rebuild.spacingMs} ms)` : 'not available'}`,
  )
  const waited = await waitForQuiet()
  const startedAt = Date.now()
  const sinks = await startSinks(rebuild)
  sinksAffinity = affinityOf(sinks.pid)

  const healthy = new Map<number, WindowFigures>()
  const hangingRuns = new Map<number, WindowFigures>()
  const embeddedRuns = new Map<number, WindowFigures>()
  for (const rate of rates) {
    healthy.set(rate, await fixedRateRun(`healthy-${rate}`, rate, null, sinks, generator))
    // Right after the healthy run at the same rate, so the two see the same machine.
    if (hangRates.includes(rate))
      hangingRuns.set(rate, await fixedRateRun(`hanging-${hang}-${rate}`, rate, hang, sinks, generator))
    if (embeddedRates.includes(rate))
      embeddedRuns.set(rate, await fixedRateRun(`embedded-${rate}`, rate, null, sinks, generator, 'embedded'))
  }
  const stairs = await staircase(sinks, generator)
  sinks.child.disconnect()
  await cleanUpKafka()
  await adminClient?.disconnect()

  const baselineRate = rates[0] as number
  const baseline = healthy.get(baselineRate) as WindowFigures
  const p99Ratios = Object.fromEntries(
    rates.slice(1).map((rate) => {
      const f = healthy.get(rate) as WindowFigures
      return [
        `p99_at_${rate}_vs_${baselineRate}`,
        Object.fromEntries(
          SINK_NAMES.map((n) => [
            n,
            {
              exact: ratio(f.connectors[n].exact_ms.p99, baseline.connectors[n].exact_ms.p99),
              histogram: ratio(f.connectors[n].histogram_ms.p99, baseline.connectors[n].histogram_ms.p99),
              sustained_at_higher_rate: f.sustained.ok,
            },
          ]),
        ),
      ]
    }),
  )
  const hangRatios = Object.fromEntries(
    [...hangingRuns].map(([rate, f]) => {
      const base = healthy.get(rate) as WindowFigures
      return [
        `${hang}_hanging_vs_healthy_at_${rate}`,
        Object.fromEntries(
          SINK_NAMES.filter((n) => n !== hang).map((n) => [
            n,
            {
              p99_exact: ratio(f.connectors[n].exact_ms.p99, base.connectors[n].exact_ms.p99),
              p99_histogram: ratio(f.connectors[n].histogram_ms.p99, base.connectors[n].histogram_ms.p99),
              p50_exact: ratio(f.connectors[n].exact_ms.p50, base.connectors[n].exact_ms.p50),
              max_exact: ratio(f.connectors[n].exact_ms.max, base.connectors[n].exact_ms.max),
            },
          ]),
        ),
      ]
    }),
  )

  const embeddedRatios = Object.fromEntries(
    [...embeddedRuns].map(([rate, f]) => {
      const base = healthy.get(rate) as WindowFigures
      return [
        `embedded_vs_kafka_at_${rate}`,
        Object.fromEntries(
          SINK_NAMES.map((n) => [
            n,
            {
              p99_exact: ratio(f.connectors[n].exact_ms.p99, base.connectors[n].exact_ms.p99),
              p99_histogram: ratio(f.connectors[n].histogram_ms.p99, base.connectors[n].histogram_ms.p99),
              p50_exact: ratio(f.connectors[n].exact_ms.p50, base.connectors[n].exact_ms.p50),
              sustained_on_embedded: f.sustained.ok,
            },
          ]),
        ),
      ]
    }),
  )

  const goalRun = healthy.get(GOAL.rate)
  const goalP99 = goalRun
    ? Object.fromEntries(SINK_NAMES.map((n) => [n, bestP99(goalRun.connectors[n])]))
    : null
  const goalMet = goalP99
    ? Object.values(goalP99).every((p) => p.value !== null && p.value <= GOAL.p99Ms) &&
      SINK_NAMES.every((n) => {
        const h = goalRun?.connectors[n].histogram_ms.p99
        return h !== null && h !== undefined && h <= GOAL.p99Ms
      })
    : null
  const totalMix = Object.values(generator.mix).reduce((a, b) => a + b, 0)

  const results = {
    benchmark: 'e2e',
    date: new Date().toISOString(),
    quick,
    goal: {
      description: `p99 delivery latency ≤ ${GOAL.p99Ms} ms at ${GOAL.rate} events/s for every connector, Kafka on the same machine`,
      rate_events_per_s: GOAL.rate,
      p99_limit_ms: GOAL.p99Ms,
      p99_ms: goalP99,
      met: goalMet,
      note:
        goalRun === undefined
          ? `no healthy run at ${GOAL.rate} events/s (--rates)`
          : 'met only if every connector is within the limit both exactly (where the sink measures it) and by the histogram',
    },
    summary: {
      latency_ms: Object.fromEntries(
        [...healthy].map(([rate, f]) => [
          `healthy_${rate}`,
          { sustained: f.sustained.ok, disturbed: f.disturbed, ...perConnectorTable(f) },
        ]),
      ),
      hanging_latency_ms: Object.fromEntries(
        [...hangingRuns].map(([rate, f]) => [
          `${hang}_hanging_${rate}`,
          { sustained: f.sustained.ok, disturbed: f.disturbed, ...perConnectorTable(f) },
        ]),
      ),
      embedded_bus_latency_ms: Object.fromEntries(
        [...embeddedRuns].map(([rate, f]) => [
          `embedded_${rate}`,
          { sustained: f.sustained.ok, disturbed: f.disturbed, ...perConnectorTable(f) },
        ]),
      ),
      highest_sustained_events_per_s: stairs.highest_sustained_events_per_s,
      highest_is_lower_bound: stairs.highest_is_lower_bound,
      first_not_sustained: stairs.first_not_sustained,
    },
    ratios: {
      note: 'the same invocation’s runs: higher rate ÷ baseline rate, hanging ÷ healthy at the same rate (other connectors only), and the embedded bus ÷ Kafka at the same rate',
      ...p99Ratios,
      ...hangRatios,
      ...embeddedRatios,
    },
    machine: {
      ...machine,
      memory_gb: round(machine.memory_bytes / 2 ** 30, 1),
      load_average_when_runs_began: waited.load_average_at_begin,
      waited_for_quiet_s: waited.waited_s,
      quiet_when_runs_began: waited.quiet,
      load_average_at_end: loadAverage(),
      total_run_s: Math.round((Date.now() - startedAt) / 1000),
      kafka_version: kafkaVersion(),
      kafka_on_same_machine: true,
      redis_on_same_machine: true,
      pinning: {
        used: pinning.used,
        how: pinning.used
          ? `taskset: Framewire (--role all, one process) on CPU ${FRAMEWIRE_CPU}; load generator and sinks on CPU ${LOADGEN_CPU}; Kafka and Redis unpinned`
          : pinning.reason,
        load_generator_affinity: affinityOf(process.pid),
        sinks_affinity: sinksAffinity,
      },
    },
    flags: {
      quick,
      rates,
      duration_s: durationS,
      warmup_s: warmupS,
      steps,
      step_duration_s: stepDurationS,
      step_settle_s: stepSettleS,
      all_steps: flags['all-steps'],
      hang,
      hang_rates: hangRates,
      embedded_rates: embeddedRates,
      phases,
      per_connection_rate: perConnectionRate,
      connect_wait_s: connectWaitS,
      settle_max_s: settleMaxS,
      settle_backlog_s: settleBacklogS,
      max_p99_ms: maxP99Ms,
      max_backlog_s: maxBacklogS,
      wait_load: waitLoad,
      wait_max_s: waitMaxS,
      wait_quiet_s: waitQuietS,
      brokers: flags.brokers,
      argv: process.argv.slice(2),
    },
    method: {
      framewire:
        'node bin/framewire.js start --role all: ingest and the three connector workers in one process (one event loop), ' +
        'a new events topic and kafka.group_prefix per run, Redis dedupe on, every other setting at its default; ' +
        'the embedded runs use bus.type embedded (a new SQLite file per run) instead of Kafka, all else equal',
      connectors: {
        names_and_types: SINK_NAMES,
        batching: {
          linger_ms: batchingDefaults.linger_ms.default,
          max_in_flight: batchingDefaults.max_in_flight.default,
        },
        retry: { request_timeout_ms: retryDefaults.request_timeout_ms.default },
        circuit_breaker: {
          failure_threshold: breakerDefaults.failure_threshold.default,
          open_ms: breakerDefaults.open_ms.default,
        },
      },
      load:
        `autocannon overallRate, requests/s = events/s ÷ ${BATCH_SIZE}, split over ${phases} instances started ` +
        `1000/${phases} ms apart (autocannon sends each connection's per-second quota at one tick, so one instance ` +
        `would send the whole second in one burst), ${perConnectionRate} request(s) per connection per second ` +
        `(so each connection has ${Math.round(1000 / perConnectionRate)} ms per answer before it falls behind); ` +
        `measurement starts only after every connection has been answered once (connection_setup), a warm-up, ` +
        `and steady state: every connector at most ${settleBacklogS} s of events behind (settling)`,
      coordinated_omission:
        'a connection sends only after its previous answer, so a slow ingest lowers the offered rate instead of ' +
        'showing up as latency; the sent and accepted rates in the window are therefore reported, and a rate is not ' +
        'called sustained below 98% of its target. Delivery latency starts at the ingest (received_at), so it is not ' +
        'affected; the ingest answer time (load.ingest_latency_ms) is, and is reported for information only',
      latency_exact:
        'at the sinks, per event: arrival wall time (body fully read, before answering) minus received_at, for ' +
        'events arriving between the two scrapes that bracket the window. webhook: received_at in the body; datadog: ' +
        'the received_at attribute of each log; amplitude: rebuilt from time (ts_corrected), see workload',
      latency_histogram:
        'framewire_delivery_latency_seconds per connector (received_at to the 2xx as the worker sees it): the ' +
        'difference of two /metrics scrapes bracketing the window, quantiles interpolated linearly within buckets ' +
        '(as histogram_quantile); max_at_most is the bound of the highest bucket with deliveries',
      sustained: [
        'accepted events/s ≥ 98% of the target',
        'no non-2xx answers (503) and no request errors',
        'every connector delivered ≥ 98% of the accepted events/s',
        `every connector's Kafka backlog (log end − committed) at the end ≤ ${maxBacklogS} s of events`,
        `every connector's p99 (histogram) ≤ ${maxP99Ms} ms`,
      ],
      hanging: `the ${hang} sink reads each request and never answers; the other connectors' p99 is compared with the healthy run at the same rate`,
    },
    workload: {
      events_per_request: BATCH_SIZE,
      event_mix: Object.fromEntries(
        Object.entries(generator.mix)
          .sort(([, a], [, b]) => b - a)
          .map(([type, n]) => [type, round(n / totalMix)]),
      ),
      generator: 'bench/ingest/batches.ts: fresh event_ids, 256 simulated players',
      amplitude_rebuild: rebuild,
    },
    runs: Object.fromEntries(
      [...healthy.values(), ...hangingRuns.values(), ...embeddedRuns.values()].map((f) => [f.label, f]),
    ),
    staircase: stairs,
  }

  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`)
  log(
    `\ngoal (p99 ≤ ${GOAL.p99Ms} ms at ${GOAL.rate}/s): ${goalMet === null ? 'not measured' : goalMet ? 'met' : 'NOT met'}`,
  )
  log(
    `highest sustained: ${stairs.highest_is_lower_bound ? '≥ ' : ''}${stairs.highest_sustained_events_per_s ?? `below ${steps[0]}`} events/s`,
  )
  log(`results: ${relative(process.cwd(), out)} (${Math.round((Date.now() - startedAt) / 1000)} s)`)
  rmSync(workDir, { recursive: true, force: true })
}

const cleanUp = async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  await adminClient?.disconnect().catch(() => undefined)
}
process.on('SIGINT', () => {
  void cleanUp().then(() => process.exit(130))
})

try {
  await main()
} catch (err) {
  log(`bench failed: ${(err as Error).stack ?? String(err)}`)
  log(`logs are kept in ${workDir}`)
  await cleanUp()
  process.exitCode = 1
}
