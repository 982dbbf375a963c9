import { pino } from 'pino'
import { Agent } from 'undici'
import type { Bus, ConsumedRecord, ConsumeOptions, OutgoingRecord } from '../../src/bus/bus.ts'
import type { ConnectorConfig } from '../../src/config/types.ts'
import type { CompiledPipeline } from '../../src/pipeline/compile-pipeline.ts'
import { type AnyConnector, ConnectorWorker } from '../../src/worker/connector-worker.ts'
import type { DeadLetterEntry } from '../../src/worker/dead-letter.ts'

/** Just enough of a bus to drive one worker by hand: records go in one by one, commits and appends are kept. */
export class FakeBus implements Bus {
  options: ConsumeOptions | undefined
  commits: bigint[] = []
  appended: OutgoingRecord[] = []
  /** When set, appends wait for it. */
  appendGate: Promise<void> | undefined
  paused = false
  #offset = 0n

  async ensureTopics() {}
  async append(records: OutgoingRecord[]) {
    await this.appendGate
    this.appended.push(...records)
  }
  async subscribe(options: ConsumeOptions) {
    this.options = options
    return {
      joined: true,
      commit: async (_topic: string, _partition: number, next: bigint) => {
        this.commits.push(next)
      },
      pause: () => {
        this.paused = true
      },
      resume: () => {
        this.paused = false
      },
      stop: async () => {},
    }
  }
  async ping() {}
  async close() {}

  /** Hands one record (an object as JSON, a string as is) to the worker; resolves when the worker takes it. */
  feed(value: unknown): Promise<void> {
    const record: ConsumedRecord = {
      topic: 'events',
      partition: 0,
      offset: this.#offset++,
      key: null,
      value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
      headers: {},
      timestamp: Date.now(),
    }
    return (this.options as ConsumeOptions).onRecord(record)
  }

  deadLetters(): DeadLetterEntry[] {
    return this.appended.map((record) => JSON.parse(record.value.toString()))
  }

  get lastCommit(): bigint | undefined {
    return this.commits.at(-1)
  }
}

const started: ConnectorWorker[] = []

/** A started ConnectorWorker for `connector` on a FakeBus; `stopHandWorkers()` (in afterEach) stops them. */
export async function startHandWorker(options: {
  config: ConnectorConfig
  connector: AnyConnector
  pipeline?: CompiledPipeline
  probeMs?: number
}): Promise<{ bus: FakeBus; worker: ConnectorWorker }> {
  const { config, connector, pipeline, probeMs } = options
  const bus = new FakeBus()
  const worker = new ConnectorWorker({
    config,
    connector,
    bus,
    group: `fw.connector.${config.name}`,
    topics: ['events'],
    deadLetterTopic: `fw.dlq.${config.name}`,
    http: new Agent(),
    logger: pino({ level: 'silent' }),
    ...(pipeline === undefined ? {} : { pipeline }),
    ...(probeMs === undefined ? {} : { probeMs }),
  })
  started.push(worker)
  await worker.start()
  return { bus, worker }
}

export async function stopHandWorkers(): Promise<void> {
  await Promise.all(started.splice(0).map((worker) => worker.stop(100)))
}
