import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { Agent } from 'undici'
import { connectRedis } from '../app/connect-redis.ts'
import type { Bus } from '../bus/bus.ts'
import type { ConnectorConfig, FramewireConfig } from '../config/types.ts'
import { type CompiledPipeline, compilePipeline } from '../pipeline/compile-pipeline.ts'
import { pipelineMetrics } from '../pipeline/metrics.ts'
import { RedisTokenSource } from '../pipeline/rate-cap.ts'
import { ConnectorTrace } from '../trace/connector-trace.ts'
import type { Tracer } from '../trace/tracer.ts'
import { type AnyConnector, ConnectorWorker, type WorkerState } from './connector-worker.ts'
import { deadLetterTopic } from './dead-letter.ts'

export interface WorkerGroupOptions {
  /** `redis.url` shares connector caps across processes (in-process caps without it); `sources` are checked. */
  config: Pick<FramewireConfig, 'topics' | 'bus' | 'kafka'> &
    Partial<Pick<FramewireConfig, 'redis' | 'sources'>>
  bus: Bus
  logger: Logger
  /** Connector definitions by type (connectors/index.ts). */
  connectors: Readonly<Record<string, AnyConnector>>
  /** How long stopping a worker waits for its batches in flight. */
  drainMs?: number
  /** This process's tracer, shared with its ingest. */
  tracer?: Tracer
}

export interface WorkerStatus {
  name: string
  type: string
  state: WorkerState
  buffered: number
}

export const connectorGroup = (kafka: { group_prefix: string }, name: string): string =>
  `${kafka.group_prefix}connector.${name}`

/** One keep-alive pool set per connector instance, sized for its concurrent batches. */
export const connectorAgent = (config: ConnectorConfig): Agent =>
  new Agent({ connections: config.batching.max_in_flight })

/** Starts one worker per configured connector. */
export async function startWorkers(
  options: Omit<WorkerGroupOptions, 'config'> & {
    config: WorkerGroupOptions['config'] & Pick<FramewireConfig, 'connectors'>
  },
): Promise<WorkerGroup> {
  const group = new WorkerGroup(options)
  try {
    for (const connector of options.config.connectors) await group.add(connector)
  } catch (error) {
    await group.stop()
    throw error
  }
  return group
}

/** A worker with its pool and the config it runs. */
interface RunningWorker {
  worker: ConnectorWorker
  agent: Agent
  config: ConnectorConfig
}

/**
 * The connector workers of one process. Workers can be added, removed and replaced while the others keep
 * running (hot reload); `stop` drains and commits them all (SIGTERM). `configs` is what actually runs.
 */
export class WorkerGroup {
  readonly #workers = new Map<string, RunningWorker>()
  /** Shared by the caps of every connector of this process; connected when the first cap needs it. */
  #redis: Redis | undefined
  /** The connector whose worker records each event's `written` stage: one per process, not one per connector. */
  #writtenBy: string | undefined

  private readonly options: WorkerGroupOptions
  constructor(options: WorkerGroupOptions) {
    this.options = options
  }

  /** The config of each running worker. */
  configs(): ConnectorConfig[] {
    return [...this.#workers.values()].map(({ config }) => config)
  }

  async add(config: ConnectorConfig): Promise<void> {
    if (this.#workers.has(config.name)) throw new Error(`connector "${config.name}" is already running`)
    await this.#start(await this.#prepare(config))
  }

  /** Drains and stops one worker and forgets its metric series. */
  async remove(name: string): Promise<void> {
    const running = this.#workers.get(name)
    if (!running) return
    await this.#stopOne(name)
    running.worker.removeMetrics()
    if (this.#writtenBy === name) this.#writtenBy = undefined
  }

  /**
   * Swaps a connector's worker for one with a new config; its offsets carry over through the group. The
   * new worker is compiled and opened first: if that fails, the old one keeps running untouched. The two
   * never consume at once, since a second member of the group would take partitions (a rebalance) while
   * the old one still has batches in flight, and those would be delivered twice. Should the new one fail
   * to subscribe after the old one stopped, the old config is started again.
   */
  async replace(config: ConnectorConfig): Promise<void> {
    const old = this.#workers.get(config.name)
    if (!old) return this.add(config)
    const next = await this.#prepare(config)
    await this.#stopOne(config.name)
    try {
      await this.#start(next)
    } catch (error) {
      await this.add(old.config).catch((restoreError: unknown) =>
        this.options.logger.error(
          { err: restoreError, connector: config.name },
          'the previous connector config did not start again either; the connector is not running',
        ),
      )
      throw error
    }
  }

  status(): WorkerStatus[] {
    return [...this.#workers].map(([name, { worker, config }]) => ({
      name,
      type: config.type,
      state: worker.state,
      buffered: worker.buffered,
    }))
  }

  /**
   * A readiness check: throws while a running connector's consumer is not in its group (after a consumer
   * crash, until it joined again), since events sent meanwhile wait for the join.
   */
  checkJoined(): Record<string, string> {
    const waiting = [...this.#workers]
      .filter(([, { worker }]) => worker.state === 'running' && !worker.joined)
      .map(([name]) => name)
    if (waiting.length > 0) throw new Error(`consumer groups not joined yet: ${waiting.join(', ')}`)
    return { workers: 'ok' }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#workers.keys()].map((name) => this.#stopOne(name)))
    this.#redis?.disconnect()
    this.#redis = undefined
  }

  /** Everything that can fail before consuming: type, pipeline, dead-letter topic, settings, open(). */
  async #prepare(config: ConnectorConfig): Promise<RunningWorker> {
    const connector = this.options.connectors[config.type]
    if (!connector) throw new Error(`connector "${config.name}" has unknown type "${config.type}"`)
    const pipeline = await this.#compile(config)
    const dlq = deadLetterTopic(this.options.config, config.name)
    await this.options.bus.ensureTopics([dlq])
    const agent = connectorAgent(config)
    let worker: ConnectorWorker | undefined
    try {
      worker = new ConnectorWorker({
        config,
        connector,
        bus: this.options.bus,
        group: connectorGroup(this.options.config.kafka, config.name),
        topics: [this.options.config.topics.events],
        deadLetterTopic: dlq.topic,
        http: agent,
        logger: this.options.logger,
        pipeline,
        ...(this.options.tracer ? { trace: this.#trace(this.options.tracer, config.name) } : {}),
      })
      await worker.open()
      return { worker, agent, config }
    } catch (error) {
      await discard(worker, agent)
      throw error
    }
  }

  #trace(tracer: Tracer, name: string): ConnectorTrace {
    this.#writtenBy ??= name
    return new ConnectorTrace(tracer, name, this.#writtenBy === name)
  }

  /** Subscribes a prepared worker and records it as running. */
  async #start(prepared: RunningWorker): Promise<void> {
    const { worker, agent, config } = prepared
    this.#workers.set(config.name, prepared)
    try {
      await worker.start()
    } catch (error) {
      this.#workers.delete(config.name)
      await discard(worker, agent)
      throw error
    }
  }

  /** Compiles the connector's pipeline once; its cap shares a Redis token bucket when Redis is configured. */
  async #compile(config: ConnectorConfig): Promise<CompiledPipeline> {
    const { kafka, redis, sources } = this.options.config
    const client = config.cap && redis?.url ? await this.#capRedis(redis.url) : undefined
    const key = `${kafka.group_prefix}cap:${config.name}`
    return compilePipeline(config, {
      ...(client ? { tokenSource: (bucket) => new RedisTokenSource(client, key, bucket) } : {}),
      ...(sources ? { sourceNames: sources.map((source) => source.name) } : {}),
      metrics: pipelineMetrics(config.name),
      log: this.options.logger.child({ connector: config.name, stage: 'cap' }),
    })
  }

  async #capRedis(url: string): Promise<Redis> {
    if (this.#redis) return this.#redis
    // Fails fast while Redis is down: caps then fail open instead of queueing commands.
    const redis = connectRedis(url, this.options.logger.child({ component: 'cap' })) as Redis
    this.#redis = redis
    // Give the connection a moment, so the first events are capped rather than let through.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000)
      redis.once('ready', () => {
        clearTimeout(timer)
        resolve()
      })
    })
    return redis
  }

  async #stopOne(name: string): Promise<void> {
    const running = this.#workers.get(name)
    if (!running) return
    this.#workers.delete(name)
    await running.worker.stop(this.options.drainMs)
    // Requests still open belong to sends already abandoned.
    await running.agent.destroy()
  }
}

/** Releases a worker that never ran (its open() or subscribe failed) and its pool. */
async function discard(worker: ConnectorWorker | undefined, agent: Agent): Promise<void> {
  await worker?.stop(0)
  await agent.destroy()
}
