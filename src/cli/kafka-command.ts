import type { Command } from 'commander'
import { Kafka, logLevel } from 'kafkajs'
import '../bus/kafkajs-idle-timer.ts'
import {
  defaultLocalKafkaOptions,
  localKafkaStatus,
  startLocalKafka,
  stopLocalKafka,
} from '../bus/local-kafka.ts'
import { codes } from '../errors.ts'
import { wholeNumber } from './option-parsers.ts'

/**
 * Ready means the cluster serves metadata to a real client, with all `brokers` registered, not merely that
 * the ports are open.
 */
export async function waitForMetadata(bootstrap: string, brokers = 1, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const admin = new Kafka({
      brokers: bootstrap.split(','),
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin()
    try {
      await admin.connect()
      const cluster = await admin.describeCluster()
      if (cluster.brokers.length >= brokers) return
      throw new Error(`${cluster.brokers.length} of ${brokers} brokers registered`)
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`Kafka at ${bootstrap} is not ready: ${(err as Error).message}`)
    } finally {
      await admin.disconnect().catch(() => undefined)
    }
    await new Promise((r) => setTimeout(r, 300))
  }
}

export function registerKafkaCommands(program: Command) {
  const kafka = program
    .command('kafka')
    .description('a local KRaft broker, or cluster (--brokers 3), on loopback for development and tests')
  // Node i (from 0) listens on port + 2i, its controller on port + 2i + 1.
  const port = wholeNumber('--port', 1, 65534)
  const brokers = wholeNumber('--brokers', 1, 9)
  const log = (line: string) => console.error(line)
  const portOption = [
    '-p, --port <port>',
    'listener port of the first node (its controller: port + 1)',
  ] as const
  const brokersOption = ['-b, --brokers <count>', 'nodes in the cluster, each broker and controller'] as const
  type Options = { port: number; brokers?: number }
  kafka
    .command('start')
    .description(
      'start the broker(s) (fetching jars on first use), wait until ready, print the bootstrap list',
    )
    .option(...portOption, port, 9092)
    .option(...brokersOption, brokers, 1)
    .action(async (o: Options) => {
      const options = defaultLocalKafkaOptions(o.port, o.brokers)
      const started = startLocalKafka(options, log, (b, n) => waitForMetadata(b, n))
      const bootstrap = await started.catch((err: Error) => {
        throw new codes.FW_ERR_CLI_KAFKA_START_FAILED(err.message)
      })
      console.log(bootstrap)
    })
  // Without --brokers, stop and status cover the cluster that `start` recorded on this port.
  kafka
    .command('stop')
    .option(...portOption, port, 9092)
    .option(...brokersOption, brokers)
    .action(async (o: Options) => stopLocalKafka(defaultLocalKafkaOptions(o.port, o.brokers), log))
  kafka
    .command('status')
    .option(...portOption, port, 9092)
    .option(...brokersOption, brokers)
    .action(async (o: Options) => {
      const s = await localKafkaStatus(defaultLocalKafkaOptions(o.port, o.brokers))
      for (const n of s.nodes)
        console.log(
          `node ${n.id} ${n.running ? 'running' : 'stopped'} on ${n.address}${n.pid ? ` (pid ${n.pid})` : ''}`,
        )
      process.exitCode = s.running ? 0 : 1
    })
}
