import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { processAlive } from './process-alive.ts'

/**
 * A single-node KRaft broker on loopback for development, tests and CI. The broker jars come from Maven
 * Central through kafka/pom.xml and are cached outside the repo.
 */

const POM = fileURLToPath(new URL('../../kafka/pom.xml', import.meta.url))

export interface LocalKafkaOptions {
  port: number
  /** Broker data, logs and pid file. */
  dataDir: string
  heap: string
}

export function defaultLocalKafkaOptions(port = 9092): LocalKafkaOptions {
  return {
    port,
    dataDir: process.env.FRAMEWIRE_KAFKA_DATA ?? join(tmpdir(), `framewire-kafka-${port}`),
    heap: process.env.FRAMEWIRE_KAFKA_HEAP ?? '512m',
  }
}

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

function java(libs: string, args: string[], options: LocalKafkaOptions) {
  return [
    `-Xmx${options.heap}`,
    `-Xms${options.heap}`,
    '-XX:+UseG1GC',
    `-Dlog4j2.configurationFile=${join(options.dataDir, 'log4j2.properties')}`,
    '-cp',
    join(libs, '*'),
    ...args,
  ]
}

function writeBrokerFiles(options: LocalKafkaOptions): string {
  const { port, dataDir } = options
  const props = join(dataDir, 'server.properties')
  mkdirSync(join(dataDir, 'logs'), { recursive: true })
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.bootstrap.servers=127.0.0.1:${port + 1}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${port + 1}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${join(dataDir, 'logs')}`,
      'num.partitions=6',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=6',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
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

function pidFile(options: LocalKafkaOptions) {
  return join(options.dataDir, 'broker.pid')
}

function runningPid(options: LocalKafkaOptions): number | undefined {
  if (!existsSync(pidFile(options))) return undefined
  const pid = Number(readFileSync(pidFile(options), 'utf8'))
  return processAlive(pid) ? pid : undefined
}

export interface KafkaStatus {
  running: boolean
  pid?: number
  bootstrap: string
}

export async function localKafkaStatus(options: LocalKafkaOptions): Promise<KafkaStatus> {
  const pid = runningPid(options)
  const bootstrap = `127.0.0.1:${options.port}`
  return { running: await portAnswers(options.port), bootstrap, ...(pid ? { pid } : {}) }
}

/**
 * Starts the broker detached (it outlives this process) and resolves with its bootstrap address once it
 * accepts connections. `waitReady` confirms it serves metadata, which the caller checks with a real client.
 */
export async function startLocalKafka(
  options: LocalKafkaOptions,
  log: (line: string) => void,
  waitReady: (bootstrap: string) => Promise<void>,
): Promise<string> {
  const bootstrap = `127.0.0.1:${options.port}`
  if (await portAnswers(options.port)) {
    await waitReady(bootstrap)
    log(`Kafka already answering on ${bootstrap}`)
    return bootstrap
  }
  const libs = ensureKafkaJars(log)
  const props = writeBrokerFiles(options)
  if (!existsSync(join(options.dataDir, 'logs', 'meta.properties'))) {
    const clusterId = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url')
    const format = spawnSync(
      'java',
      java(
        libs,
        ['kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId, '-c', props],
        options,
      ),
      { encoding: 'utf8' },
    )
    if (format.status !== 0)
      throw new Error(`formatting Kafka storage failed:\n${format.stderr}${format.stdout}`)
  }
  const out = openSync(join(options.dataDir, 'broker.log'), 'a')
  const child = spawn('java', java(libs, ['kafka.Kafka', props], options), {
    detached: true,
    stdio: ['ignore', out, out],
  })
  child.unref()
  writeFileSync(pidFile(options), String(child.pid))
  const deadline = Date.now() + 90_000
  while (!(await portAnswers(options.port))) {
    if (runningPid(options) === undefined) {
      throw new Error(`Kafka exited during start-up; see ${join(options.dataDir, 'broker.log')}`)
    }
    if (Date.now() > deadline) throw new Error(`Kafka did not open ${bootstrap} within 90 s`)
    await new Promise((r) => setTimeout(r, 250))
  }
  await waitReady(bootstrap)
  log(`Kafka ready on ${bootstrap} (pid ${child.pid}, data in ${options.dataDir})`)
  return bootstrap
}

export async function stopLocalKafka(options: LocalKafkaOptions, log: (line: string) => void): Promise<void> {
  const pid = runningPid(options)
  if (pid === undefined) {
    log('Kafka is not running')
    return
  }
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + 30_000
  while (runningPid(options) !== undefined) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL')
      break
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  rmSync(pidFile(options), { force: true })
  log(`Kafka stopped (pid ${pid})`)
}
