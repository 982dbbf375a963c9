import type { Bus } from '../bus/bus.ts'
import { ConfigError } from '../config/load.ts'
import type { FramewireConfig } from '../config/types.ts'

/**
 * Refuses, before any topic is created, a replication the cluster cannot hold: Kafka would reject a
 * replication factor above the broker count at topic creation, and a min.insync.replicas above the
 * replication factor would make every acks=all write fail with NOT_ENOUGH_REPLICAS.
 */
export async function checkReplication(config: Pick<FramewireConfig, 'bus' | 'kafka'>, bus: Bus) {
  if (config.bus.type !== 'kafka' || !bus.brokerCount) return
  const { replication_factor: factor, min_insync_replicas: minInsync, brokers } = config.kafka
  const where = `Kafka cluster ${brokers.join(',')}`
  const count = await bus.brokerCount()
  const problems = []
  if (factor > count)
    problems.push({
      where,
      path: '/kafka/replication_factor',
      message: `is ${factor}, but the cluster has ${count} broker${count === 1 ? '' : 's'}: set it to at most ${count} (and kafka.min_insync_replicas to at most that), or add brokers`,
    })
  if (minInsync > factor)
    problems.push({
      where,
      path: '/kafka/min_insync_replicas',
      message: `is ${minInsync}, above kafka.replication_factor ${factor}: no acks=all write could succeed`,
    })
  if (problems.length > 0) throw new ConfigError(problems)
}
