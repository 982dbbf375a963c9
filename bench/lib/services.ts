import { findPids } from './proc.ts'

/** The pids of the services a bench shares the machine with, to account for their CPU. */

/** The local broker's pids: the one `framewire kafka start` runs for that port, else any Kafka broker. */
export function kafkaPids(brokers: string): number[] {
  const port = brokers.split(',')[0]?.split(':')[1] ?? '9092'
  const own = findPids(`framewire-kafka-${port}/server.properties`)
  return own.length > 0 ? own : findPids('kafka.Kafka')
}

export const redisPids = () => findPids('redis-server')
