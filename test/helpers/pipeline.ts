import { randomUUID } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { pino } from 'pino'
import { request } from 'undici'
import { inject } from 'vitest'
import { connectorTypes } from '../../connectors/index.ts'
import { type Role, type Running, startFramewire } from '../../src/app/start.ts'
import { parseConfig } from '../../src/config/load.ts'
import type { FramewireConfig } from '../../src/config/types.ts'

export const WRITE_KEY = 'test-write-key-0001'
export const silentLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })

export type BusType = FramewireConfig['bus']['type']
/** The buses a parametrised suite runs against. */
export const BUSES: BusType[] = ['kafka', 'embedded']

/**
 * A config on the test broker (or an embedded bus in a fresh temporary file) and Redis, with topics unique
 * to this test so tests never see each other.
 */
export function testConfigYaml(yamlExtra = '', bus: BusType = 'kafka'): string {
  const id = randomUUID().slice(0, 8)
  const busPath = join(tmpdir(), `framewire-test-${id}`, 'bus.db')
  return `
node_id: test-node
ingest: { host: 127.0.0.1, port: 0, body_limit_bytes: 65536, shutdown_delay_ms: 0 }
worker: { ops_host: 127.0.0.1, ops_port: 0 }
bus: { type: ${bus}, path: ${busPath} }
kafka:
  brokers: [${inject('kafkaBrokers').join(', ')}]
  partitions: 3
  group_prefix: fw.${id}.
  # The test broker is a single node; production keeps the defaults (3 and 2).
  replication_factor: 1
  min_insync_replicas: 1
topics: { events: fw.events.${id}, invalid: fw.invalid.${id}, dlq_prefix: fw.dlq.${id}. }
redis: { url: ${inject('redisUrl')} }
sources:
  - name: web
    write_key: \${WEB_KEY:-${WRITE_KEY}}
    allowed_origins: [https://player.example.com]
${yamlExtra}`
}

export function testConfig(
  yamlExtra = '',
  env: NodeJS.ProcessEnv = {},
  bus: BusType = 'kafka',
): FramewireConfig {
  return parseConfig(testConfigYaml(yamlExtra, bus), 'test.yaml', connectorTypes, env)
}

export async function startPipeline(config: FramewireConfig, role: Role = 'ingest') {
  const running: Running = await startFramewire(config, role, silentLogger)
  return { ...running, url: `http://${running.ingest?.address}` }
}

/** Reads a topic from the beginning until `count` records arrived or the timeout passed. */
export async function readTopic(
  topic: string,
  count: number,
  timeoutMs = 15_000,
  brokers = inject('kafkaBrokers'),
) {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `test-reader-${randomUUID()}`, maxWaitTimeInMs: 100 })
  const got: { key: string | null; value: unknown; headers: Record<string, string> }[] = []
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs)
    void consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {}
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v)
        got.push({ key: message.key?.toString() ?? null, value: JSON.parse(String(message.value)), headers })
        if (got.length >= count) {
          clearTimeout(timer)
          resolve()
        }
      },
    })
  })
  // A short grace period catches records beyond the expected count (duplicates).
  await new Promise((r) => setTimeout(r, 300))
  await consumer.disconnect()
  return got
}

/** Waits until a Framewire process started by a test answers /readyz with 200. */
export async function waitReady(url: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ready = await request(`${url}/readyz`).then(
      (r) => r.body.dump().then(() => r.statusCode === 200),
      () => false,
    )
    if (ready) return
    if (Date.now() > deadline) throw new Error(`${url} not ready within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 200))
  }
}
