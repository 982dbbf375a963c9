import { createServer } from 'node:net'
import { cpuSecondsOf, findPids } from './proc.ts'

/** A port nothing listens on right now, for a server the bench starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** The local broker's pids: the one `framewire kafka start` runs for that port, else any Kafka broker. */
export function kafkaPids(brokers: string): number[] {
  const port = brokers.split(',')[0]?.split(':')[1] ?? '9092'
  const own = findPids(`framewire-kafka-${port}/server.properties`)
  return own.length > 0 ? own : findPids('kafka.Kafka')
}

export const redisPids = () => findPids('redis-server')

export const cpuOfAll = (pids: number[]) => pids.reduce((sum, pid) => sum + (cpuSecondsOf(pid) ?? 0), 0)
