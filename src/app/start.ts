import type { Logger } from 'pino'
import type { Bus } from '../bus/bus.ts'
import { createKafkaBus } from '../bus/kafka-bus.ts'
import type { FramewireConfig } from '../config/types.ts'
import { type RunningIngest, startIngest } from './start-ingest.ts'

export type Role = 'ingest' | 'worker' | 'all'

export interface Running {
  bus: Bus
  ingest?: RunningIngest
  stop(): Promise<void>
}

export async function startFramewire(config: FramewireConfig, role: Role, logger: Logger): Promise<Running> {
  const bus = createKafkaBus({ brokers: config.kafka.brokers, clientId: config.kafka.client_id, logger })
  const topic = (name: string) => ({
    topic: name,
    partitions: config.kafka.partitions,
    replicationFactor: config.kafka.replication_factor,
  })
  await bus.ensureTopics([topic(config.topics.events), topic(config.topics.invalid)])
  const ingest = role === 'worker' ? undefined : await startIngest(config, bus, logger)
  return {
    bus,
    ...(ingest ? { ingest } : {}),
    async stop() {
      await ingest?.stop()
      await bus.close()
    },
  }
}
