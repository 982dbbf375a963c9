import type { Logger } from 'pino'
import type { FramewireConfig } from '../config/types.ts'
import type { Bus, TopicSpec } from './bus.ts'
import { createKafkaBus } from './kafka-bus.ts'
import { openSqliteBus } from './sqlite-bus.ts'

export type BusLayout = Pick<FramewireConfig, 'bus' | 'kafka'>

/** How Framewire lays out a topic it creates, on whichever bus is configured. */
export const topicSpec = (config: BusLayout, topic: string): TopicSpec =>
  config.bus.type === 'kafka'
    ? {
        topic,
        partitions: config.kafka.partitions,
        replicationFactor: config.kafka.replication_factor,
        minInsyncReplicas: config.kafka.min_insync_replicas,
      }
    : { topic, partitions: config.bus.partitions, replicationFactor: 1 }

export function createBus(config: BusLayout, logger: Logger): Bus {
  if (config.bus.type === 'kafka')
    return createKafkaBus({ brokers: config.kafka.brokers, clientId: config.kafka.client_id, logger })
  return openSqliteBus({
    path: config.bus.path,
    retentionMs: config.bus.retention_hours * 3_600_000,
    retentionBytes: config.bus.retention_bytes,
    logger,
  })
}
