import { ConfigError, type ConfigProblem } from '../config/load.ts'
import type { FramewireConfig } from '../config/types.ts'

/**
 * Refuses a replication the cluster cannot hold before Framewire creates its topics: Kafka would reject a
 * replication factor above the broker count, and a min.insync.replicas above the replication factor would
 * make every acks=all write fail with NOT_ENOUGH_REPLICAS. Only creation is checked: a process restarting
 * while one broker is down must still start on the topics that exist.
 */
export function replicationCheck(config: Pick<FramewireConfig, 'kafka'>) {
  const { replication_factor: factor, min_insync_replicas: minInsync, brokers } = config.kafka
  return (count: number) => {
    const where = `Kafka cluster ${brokers.join(',')}`
    const problems: ConfigProblem[] = []
    if (factor > count)
      problems.push({
        where,
        path: '/kafka/replication_factor',
        message: `is ${factor}, but the cluster has ${count} broker${count === 1 ? '' : 's'} up: set it to at most ${count} (and kafka.min_insync_replicas to at most that), or add brokers`,
      })
    if (minInsync > factor)
      problems.push({
        where,
        path: '/kafka/min_insync_replicas',
        message: `is ${minInsync}, above kafka.replication_factor ${factor}: no acks=all write could succeed`,
      })
    if (problems.length > 0) throw new ConfigError(problems)
  }
}
