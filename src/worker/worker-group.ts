import type { Logger } from 'pino'
import { Agent } from 'undici'
import type { Bus } from '../bus/bus.ts'
import type { ConnectorConfig, FramewireConfig } from '../config/types.ts'
import { type AnyConnector, ConnectorWorker, type WorkerState } from './connector-worker.ts'
import { deadLetterTopic } from './dead-letter.ts'

export interface WorkerGroupOptions {
  config: Pick<FramewireConfig, 'topics' | 'kafka'>
  bus: Bus
  logger: Logger
  /** Connector definitions by type (connectors/index.ts). */
  connectors: Readonly<Record<string, AnyConnector>>
  /** How long stopping a worker waits for its batches in flight. */
  drainMs?: number
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
    config: Pick<FramewireConfig, 'topics' | 'kafka' | 'connectors'>
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

/**
 * The connector workers of one process. Workers can be added, removed and replaced while the others keep
 * running (hot reload); `stop` drains and commits them all (SIGTERM).
 */
export class WorkerGroup {
  readonly #workers = new Map<string, { worker: ConnectorWorker; agent: Agent; type: string }>()

  constructor(private readonly options: WorkerGroupOptions) {}

  async add(config: ConnectorConfig): Promise<void> {
    if (this.#workers.has(config.name)) throw new Error(`connector "${config.name}" is already running`)
    const connector = this.options.connectors[config.type]
    if (!connector) throw new Error(`connector "${config.name}" has unknown type "${config.type}"`)
    const dlq = deadLetterTopic(this.options.config, config.name)
    await this.options.bus.ensureTopics([dlq])
    const agent = connectorAgent(config)
    const worker = new ConnectorWorker({
      config,
      connector,
      bus: this.options.bus,
      group: connectorGroup(this.options.config.kafka, config.name),
      topics: [this.options.config.topics.events],
      deadLetterTopic: dlq.topic,
      http: agent,
      logger: this.options.logger,
    })
    this.#workers.set(config.name, { worker, agent, type: config.type })
    try {
      await worker.start()
    } catch (error) {
      this.#workers.delete(config.name)
      await worker.stop(0)
      await agent.destroy()
      throw error
    }
  }

  /** Drains and stops one worker and forgets its metric series. */
  async remove(name: string): Promise<void> {
    const running = this.#workers.get(name)
    if (!running) return
    await this.#stopOne(name)
    running.worker.removeMetrics()
  }

  /** Swaps a connector's worker for one with a new config; its offsets carry over through the group. */
  async replace(config: ConnectorConfig): Promise<void> {
    await this.remove(config.name)
    await this.add(config)
  }

  status(): WorkerStatus[] {
    return [...this.#workers].map(([name, { worker, type }]) => ({
      name,
      type,
      state: worker.state,
      buffered: worker.buffered,
    }))
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#workers.keys()].map((name) => this.#stopOne(name)))
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
