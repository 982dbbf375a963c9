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

/** Ready means the broker serves metadata to a real client, not merely that the port is open. */
export async function waitForMetadata(bootstrap: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const admin = new Kafka({
      brokers: [bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin()
    try {
      await admin.connect()
      const { brokers } = await admin.describeCluster()
      if (brokers.length > 0) return
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
    .description('a local single-node KRaft broker for development and tests')
  // The controller listens on port + 1.
  const port = wholeNumber('--port', 1, 65534)
  const log = (line: string) => console.error(line)
  kafka
    .command('start')
    .description('start the broker (fetching its jars on first use), wait until ready, print its address')
    .option('-p, --port <port>', 'listener port (the controller uses port + 1)', port, 9092)
    .action(async (o: { port: number }) => {
      const started = startLocalKafka(defaultLocalKafkaOptions(o.port), log, (b) => waitForMetadata(b))
      const bootstrap = await started.catch((err: Error) => {
        throw new codes.FW_ERR_CLI_KAFKA_START_FAILED(err.message)
      })
      console.log(bootstrap)
    })
  kafka
    .command('stop')
    .option('-p, --port <port>', 'listener port', port, 9092)
    .action(async (o: { port: number }) => stopLocalKafka(defaultLocalKafkaOptions(o.port), log))
  kafka
    .command('status')
    .option('-p, --port <port>', 'listener port', port, 9092)
    .action(async (o: { port: number }) => {
      const s = await localKafkaStatus(defaultLocalKafkaOptions(o.port))
      console.log(s.running ? `running on ${s.bootstrap}${s.pid ? ` (pid ${s.pid})` : ''}` : 'stopped')
      process.exitCode = s.running ? 0 : 1
    })
}
