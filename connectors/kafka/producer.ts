import {
  Kafka,
  type KafkaConfig,
  Partitioners,
  type Producer,
  type ProducerRecord,
  type SASLOptions,
} from 'kafkajs'
import '../../src/bus/kafkajs-idle-timer.ts'
import type { Logger } from 'pino'
import { kafkajsPinoLog } from '../../src/bus/kafkajs-pino-log.ts'
import type { Outcome } from '../../src/worker/connector.ts'

/** What the producer needs of the connector's settings. */
export interface ProducerSettings {
  brokers: string[]
  client_id: string
  ssl: boolean
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
}

/**
 * An idempotent producer to the partner cluster. After a failed send its sequence numbers may no longer
 * match what the broker wrote, so a later batch could be taken for a duplicate and dropped: the producer is
 * discarded and the next send starts a fresh one (a new producer id).
 */
export class PartnerProducer {
  readonly #kafka: Kafka
  #producer: Promise<Producer> | undefined

  constructor(settings: ProducerSettings, log: Logger) {
    const config: KafkaConfig = {
      clientId: settings.client_id,
      brokers: settings.brokers,
      ssl: settings.ssl,
      // kafkajs' own request timeout (30 s) stays; the runtime's request_timeout_ms frees the slot first.
      connectionTimeout: 3_000,
      // Only rides out leader elections inside one send; retries with backoff belong to the runtime.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
      ...kafkajsPinoLog(log),
    }
    // The settings schema admits exactly the mechanisms whose options are these three fields.
    if (settings.sasl) config.sasl = { ...settings.sasl } as SASLOptions
    this.#kafka = new Kafka(config)
  }

  async send(record: ProducerRecord): Promise<void> {
    this.#producer ??= this.#connect()
    const current = this.#producer
    try {
      const producer = await current
      await producer.send(record)
    } catch (error) {
      await this.#discard(current)
      throw error
    }
  }

  async close(): Promise<void> {
    if (this.#producer) await this.#discard(this.#producer)
  }

  async #connect(): Promise<Producer> {
    const producer = this.#kafka.producer({
      idempotent: true,
      // Idempotence needs in-order requests per connection.
      maxInFlightRequests: 1,
      // Murmur2 on the key, like the Java client: partners' consumers see the same partitioning.
      createPartitioner: Partitioners.DefaultPartitioner,
      // The partner provisions the topic; a typo must not create a new one.
      allowAutoTopicCreation: false,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
    })
    await producer.connect()
    return producer
  }

  async #discard(failed: Promise<Producer>): Promise<void> {
    if (this.#producer !== failed) return
    this.#producer = undefined
    await failed.then((p) => p.disconnect()).catch(() => undefined)
  }
}

interface KafkaJsError extends Error {
  retriable?: boolean
  type?: string
  cause?: unknown
}

/** The error that decided the send: kafkajs wraps the last one when its own retries run out. */
function rootCause(error: unknown): KafkaJsError {
  const e = error as KafkaJsError
  return e?.name === 'KafkaJSNumberOfRetriesExceeded' && e.cause instanceof Error ? rootCause(e.cause) : e
}

/** Protocol errors that mean "this request is too big"; a smaller one may pass. */
export function isTooLarge(error: unknown): boolean {
  const { type } = rootCause(error)
  return type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE'
}

/**
 * Broker errors that refuse the principal (https://kafka.apache.org/protocol#protocol_error_codes): SASL
 * authentication failed, and no ACL for the topic, the cluster (IDEMPOTENT_WRITE) or a transactional id.
 */
const REFUSED = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
])

/**
 * kafkajs fails a send as a whole. Refused credentials (kafkajs' KafkaJSSASLAuthenticationError, or one of
 * REFUSED) pause the connector; other errors it marks non-retriable (unknown topic, a record too large, …)
 * reject the batch with the error name; everything else is retried.
 */
export function outcomeForError(error: unknown): Outcome {
  const root = rootCause(error)
  const name = root?.type ? `${root.name} ${root.type}` : (root?.name ?? 'Error')
  const reason = `${name}: ${root?.message ?? String(error)}`
  if (root?.name === 'KafkaJSSASLAuthenticationError' || REFUSED.has(root?.type ?? '')) {
    return { kind: 'paused', cause: 'credentials', reason }
  }
  const fromKafkaJs = typeof root?.name === 'string' && root.name.startsWith('KafkaJS')
  return fromKafkaJs && root.retriable === false ? { kind: 'rejected', reason } : { kind: 'retry', reason }
}
