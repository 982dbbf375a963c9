import {
  CompressionTypes,
  Kafka,
  type KafkaConfig,
  logLevel,
  type Message,
  Partitioners,
  type Producer,
  type SASLOptions,
} from 'kafkajs'
import '../../src/bus/kafkajs-idle-timer.ts'
import type { Logger } from 'pino'
import type { Outcome } from '../../src/worker/connector.ts'

export interface ProducerSettings {
  brokers: string[]
  topic: string
  client_id: string
  compression: 'none' | 'gzip'
  ssl: boolean
  sasl?: Extract<SASLOptions, { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512' }>
  timeout_ms: number
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
}

/**
 * An idempotent producer to the partner cluster. After a failed send its sequence numbers may no longer
 * match what the broker wrote, so a later batch could be taken for a duplicate and dropped: the producer is
 * discarded and the next send starts a fresh one (a new producer id).
 */
export class PartnerProducer {
  readonly #kafka: Kafka
  readonly #settings: ProducerSettings
  #producer: Promise<Producer> | undefined

  constructor(settings: ProducerSettings, log: Logger) {
    this.#settings = settings
    const config: KafkaConfig = {
      clientId: settings.client_id,
      brokers: settings.brokers,
      ssl: settings.ssl,
      connectionTimeout: 3_000,
      requestTimeout: settings.timeout_ms,
      // Only rides out leader elections inside one send; retries with backoff belong to the runtime.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ level, log: entry }) => {
          const { message, ...rest } = entry
          log[LEVELS[level] ?? 'info'](rest, message)
        },
    }
    if (settings.sasl) config.sasl = { ...settings.sasl }
    this.#kafka = new Kafka(config)
  }

  async send(messages: Message[]): Promise<void> {
    this.#producer ??= this.#connect()
    const current = this.#producer
    try {
      const producer = await current
      await producer.send({
        topic: this.#settings.topic,
        messages,
        acks: -1,
        timeout: this.#settings.timeout_ms,
        compression: this.#settings.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
      })
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
 * kafkajs fails a send as a whole. Errors it marks non-retriable (unknown or unauthorised topic, a record
 * too large, bad SASL credentials, …) reject the batch with the error name; everything else is retried.
 */
export function outcomeForError(error: unknown): Outcome {
  const root = rootCause(error)
  const name = root?.type ? `${root.name} ${root.type}` : (root?.name ?? 'Error')
  const reason = `${name}: ${root?.message ?? String(error)}`
  const fromKafkaJs = typeof root?.name === 'string' && root.name.startsWith('KafkaJS')
  return fromKafkaJs && root.retriable === false ? { kind: 'rejected', reason } : { kind: 'retry', reason }
}
