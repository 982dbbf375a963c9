import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { processAlive } from './process-alive.ts'

/**
 * A KRaft cluster on loopback for development, tests and CI: one node, or several (`brokers`), each both
 * broker and controller (combined mode). Combined nodes keep a three-broker cluster at three JVMs, which a
 * two-core machine can run, and killing one still leaves a controller quorum (two of three voters). The
 * broker jars come from Maven Central through kafka/pom.xml and are cached outside the repo.
 */

const POM = fileURLToPath(new URL('../../kafka/pom.xml', import.meta.url))

export interface LocalKafkaOptions {
  /** Listener of the first node; node i (from 0) listens on port + 2i and its controller on port + 2i + 1. */
  port: number
  /** Nodes in the cluster. */
  brokers: number
  /** Broker data, logs and pid file (one node); a node-<id> directory per node for a cluster. */
  dataDir: string
  /** Heap of each node. */
  heap: string
}

/** A cluster records its size, so `stop` and `status` without --brokers cover every node. */
const sizeFile = (dataDir: string) => join(dataDir, 'cluster-size')

export function defaultLocalKafkaOptions(port = 9092, brokers?: number): LocalKafkaOptions {
  const dataDir = process.env.FRAMEWIRE_KAFKA_DATA ?? join(tmpdir(), `framewire-kafka-${port}`)
  const size =
    brokers ?? (existsSync(sizeFile(dataDir)) ? Number(readFileSync(sizeFile(dataDir), 'utf8')) : 1)
  return {
    port,
    brokers: size,
    dataDir,
    // Three JVMs share the machine: each gets half the single broker's heap.
    heap: process.env.FRAMEWIRE_KAFKA_HEAP ?? (size > 1 ? '256m' : '512m'),
  }
}

export interface LocalKafkaNode {
  id: number
  port: number
  controllerPort: number
  dataDir: string
  heap: string
}

export function localKafkaNodes(options: LocalKafkaOptions): LocalKafkaNode[] {
  return Array.from({ length: options.brokers }, (_, i) => ({
    id: i + 1,
    port: options.port + 2 * i,
    controllerPort: options.port + 2 * i + 1,
    // One node keeps the layout it always had.
    dataDir: options.brokers === 1 ? options.dataDir : join(options.dataDir, `node-${i + 1}`),
    heap: options.heap,
  }))
}

export const bootstrapOf = (options: LocalKafkaOptions): string =>
  localKafkaNodes(options)
    .map((n) => `127.0.0.1:${n.port}`)
    .join(',')

export function kafkaVersion(): string {
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(POM, 'utf8'))
  if (!match?.[1]) throw new Error(`no <kafka.version> in ${POM}`)
  return match[1]
}

function jarCache(): string {
  const base = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache')
  return join(base, 'framewire', `kafka-${kafkaVersion()}`)
}

/** Downloads the broker jars once; later calls find the cache and return at once. */
export function ensureKafkaJars(log: (line: string) => void): string {
  const cache = jarCache()
  const libs = join(cache, 'libs')
  const done = join(cache, '.complete')
  if (existsSync(done)) return libs
  log(`fetching Kafka ${kafkaVersion()} jars from Maven Central into ${libs}`)
  rmSync(libs, { recursive: true, force: true })
  const mvn = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      POM,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${libs}`,
      '-DincludeScope=runtime',
    ],
    { stdio: ['ignore', process.stderr, process.stderr] },
  )
  if (mvn.status !== 0) throw new Error(`mvn failed with exit code ${mvn.status}`)
  writeFileSync(done, new Date().toISOString())
  return libs
}

function java(libs: string, args: string[], node: LocalKafkaNode) {
  return [
    `-Xmx${node.heap}`,
    `-Xms${node.heap}`,
    '-XX:+UseG1GC',
    `-Dlog4j2.configurationFile=${join(node.dataDir, 'log4j2.properties')}`,
    '-cp',
    join(libs, '*'),
    ...args,
  ]
}

/** Settings only a cluster has: replicated internal topics, and a failed node noticed in seconds. */
function clusterSettings(nodes: LocalKafkaNode[]): string[] {
  if (nodes.length === 1)
    return [
      `controller.quorum.bootstrap.servers=127.0.0.1:${nodes[0]?.controllerPort}`,
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
    ]
  const replicas = Math.min(3, nodes.length)
  const minInsync = Math.min(2, replicas)
  return [
    // A static quorum: every node is a voter from the start.
    `controller.quorum.voters=${nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',')}`,
    `offsets.topic.replication.factor=${replicas}`,
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${minInsync}`,
    `default.replication.factor=${replicas}`,
    `min.insync.replicas=${minInsync}`,
    // The controller fences a silent broker after this (default 9 s), and only then moves its leaders.
    // Local clusters exist to try failures, so they fail over faster.
    'broker.session.timeout.ms=4000',
    'broker.heartbeat.interval.ms=1000',
  ]
}

function writeBrokerFiles(node: LocalKafkaNode, nodes: LocalKafkaNode[]): string {
  const { port, controllerPort, dataDir } = node
  const props = join(dataDir, 'server.properties')
  mkdirSync(join(dataDir, 'logs'), { recursive: true })
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      `node.id=${node.id}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${join(dataDir, 'logs')}`,
      'num.partitions=6',
      'offsets.topic.num.partitions=6',
      ...clusterSettings(nodes),
      // Tests create consumer groups constantly; the default 3 s rebalance delay would dominate them.
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
      '',
    ].join('\n'),
  )
  writeFileSync(
    join(dataDir, 'log4j2.properties'),
    [
      'rootLogger.level=WARN',
      'rootLogger.appenderRef.console.ref=console',
      'appender.console.type=Console',
      'appender.console.name=console',
      'appender.console.layout.type=PatternLayout',
      'appender.console.layout.pattern=[%d] %p %m (%c)%n',
      '',
    ].join('\n'),
  )
  return props
}

export function portAnswers(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

const pidFile = (node: LocalKafkaNode) => join(node.dataDir, 'broker.pid')

/** The pid of a node's broker process while it lives. */
export function nodePid(node: LocalKafkaNode): number | undefined {
  if (!existsSync(pidFile(node))) return undefined
  const pid = Number(readFileSync(pidFile(node), 'utf8'))
  return processAlive(pid) ? pid : undefined
}

export interface KafkaNodeStatus {
  id: number
  running: boolean
  pid?: number
  address: string
}

export interface KafkaStatus {
  /** Every node answers. */
  running: boolean
  bootstrap: string
  nodes: KafkaNodeStatus[]
}

export async function localKafkaStatus(options: LocalKafkaOptions): Promise<KafkaStatus> {
  const nodes = await Promise.all(
    localKafkaNodes(options).map(async (node) => {
      const pid = nodePid(node)
      const running = await portAnswers(node.port)
      return { id: node.id, running, address: `127.0.0.1:${node.port}`, ...(pid ? { pid } : {}) }
    }),
  )
  return { running: nodes.every((n) => n.running), bootstrap: bootstrapOf(options), nodes }
}

function formatStorage(
  libs: string,
  node: LocalKafkaNode,
  props: string,
  clusterId: string,
  single: boolean,
) {
  if (existsSync(join(node.dataDir, 'logs', 'meta.properties'))) return
  // One node bootstraps a dynamic quorum of itself; a cluster lists its voters in controller.quorum.voters.
  const args = ['kafka.tools.StorageTool', 'format', ...(single ? ['--standalone'] : []), '-t', clusterId]
  const format = spawnSync('java', java(libs, [...args, '-c', props], node), { encoding: 'utf8' })
  if (format.status !== 0)
    throw new Error(`formatting Kafka storage of node ${node.id} failed:\n${format.stderr}${format.stdout}`)
}

/** Every node of a cluster is formatted with the same cluster id, kept beside them. */
function clusterId(options: LocalKafkaOptions): string {
  const file = join(options.dataDir, 'cluster-id')
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  const id = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url')
  mkdirSync(options.dataDir, { recursive: true })
  writeFileSync(file, id)
  return id
}

/** Starts one node's broker detached (it outlives this process) and waits until its port opens. */
export async function startKafkaNode(options: LocalKafkaOptions, node: LocalKafkaNode): Promise<void> {
  if (await portAnswers(node.port)) return
  const libs = ensureKafkaJars(() => undefined)
  const nodes = localKafkaNodes(options)
  const props = writeBrokerFiles(node, nodes)
  formatStorage(libs, node, props, clusterId(options), nodes.length === 1)
  const out = openSync(join(node.dataDir, 'broker.log'), 'a')
  const child = spawn('java', java(libs, ['kafka.Kafka', props], node), {
    detached: true,
    stdio: ['ignore', out, out],
  })
  child.unref()
  writeFileSync(pidFile(node), String(child.pid))
  const deadline = Date.now() + 90_000
  while (!(await portAnswers(node.port))) {
    if (nodePid(node) === undefined) {
      throw new Error(`Kafka node ${node.id} exited during start-up; see ${join(node.dataDir, 'broker.log')}`)
    }
    if (Date.now() > deadline)
      throw new Error(`Kafka node ${node.id} did not open port ${node.port} within 90 s`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

/**
 * Starts the nodes that are not running and resolves with the bootstrap list once they accept connections.
 * `waitReady` confirms the cluster serves metadata, which the caller checks with a real client.
 */
export async function startLocalKafka(
  options: LocalKafkaOptions,
  log: (line: string) => void,
  waitReady: (bootstrap: string, brokers: number) => Promise<void>,
): Promise<string> {
  const bootstrap = bootstrapOf(options)
  const nodes = localKafkaNodes(options)
  const answering = await Promise.all(nodes.map((n) => portAnswers(n.port)))
  if (answering.includes(false)) ensureKafkaJars(log)
  mkdirSync(options.dataDir, { recursive: true })
  if (options.brokers > 1) writeFileSync(sizeFile(options.dataDir), String(options.brokers))
  // A cluster's nodes start together: none is ready before a quorum of controllers is up.
  await Promise.all(nodes.map((node) => startKafkaNode(options, node)))
  await waitReady(bootstrap, options.brokers)
  const pids = nodes.map((n) => nodePid(n) ?? 'external').join(', ')
  log(`Kafka ready on ${bootstrap} (pid ${pids}, data in ${options.dataDir})`)
  return bootstrap
}

async function stopNode(node: LocalKafkaNode, log: (line: string) => void): Promise<void> {
  const pid = nodePid(node)
  if (pid === undefined) {
    log(`Kafka node ${node.id} is not running`)
    return
  }
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + 30_000
  while (nodePid(node) !== undefined) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL')
      break
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  rmSync(pidFile(node), { force: true })
  log(`Kafka node ${node.id} stopped (pid ${pid})`)
}

export async function stopLocalKafka(options: LocalKafkaOptions, log: (line: string) => void): Promise<void> {
  await Promise.all(localKafkaNodes(options).map((node) => stopNode(node, log)))
}
