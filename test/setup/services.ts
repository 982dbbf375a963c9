import type { TestProject } from 'vitest/node'
import { defaultLocalKafkaOptions, startLocalKafka } from '../../src/bus/local-kafka.ts'
import { waitForMetadata } from '../../src/cli/kafka-command.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[]
    redisUrl: string
  }
}

/** Tests use the local KRaft broker, unless KAFKA_BROKERS points at an existing cluster. */
export default async function setup(project: TestProject) {
  let brokers = process.env.KAFKA_BROKERS?.split(',').map((b) => b.trim())
  if (!brokers) {
    const port = Number(process.env.FRAMEWIRE_TEST_KAFKA_PORT ?? 9092)
    brokers = [
      await startLocalKafka(defaultLocalKafkaOptions(port), console.error, (b) => waitForMetadata(b)),
    ]
  }
  project.provide('kafkaBrokers', brokers)
  project.provide('redisUrl', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
}
