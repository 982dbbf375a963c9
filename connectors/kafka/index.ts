import type { Message } from 'kafkajs'
import { defineConnector, SKIP } from '../../src/worker/connector.ts'
import { outcomesForAll, sendSplittingOnTooLarge } from '../../src/worker/http-outcome.ts'
import { excludeTypesSetting } from '../common/settings.ts'
import { isTooLarge, outcomeForError, PartnerProducer, type ProducerSettings } from './producer.ts'

export interface KafkaSettings extends ProducerSettings {
  max_batch_records: number
  max_batch_bytes: number
  omit_fields: string[]
  exclude_types: string[]
}

/** One Kafka record: key = view id, value = the event as JSON, identifying headers. */
export interface KafkaRecord {
  key: string
  value: string
  headers: { event_id: string; type: string; source: string; 'content-type': 'application/json' }
}

// https://kafka.apache.org/documentation/#brokerconfigs_message.max.bytes: "The largest record batch size
// allowed by Kafka (after compression if compression is enabled)", default 1048588; topics may lower it
// (max.message.bytes). 1,000,000 keeps one partition's share of a batch under the default.
export const DEFAULT_MAX_BATCH_BYTES = 1_000_000
/** Rough per-record overhead of the v2 record format (varints, attributes, header names). */
const RECORD_OVERHEAD_BYTES = 64

export const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['brokers', 'topic'],
  properties: {
    brokers: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', pattern: '^[^:\\s]+:[0-9]{1,5}$' },
      description: 'Bootstrap brokers of the target cluster, host:port.',
    },
    topic: {
      type: 'string',
      pattern: '^[A-Za-z0-9._-]{1,249}$',
      description: 'Target topic; it must exist (the producer does not create topics).',
    },
    client_id: {
      type: 'string',
      minLength: 1,
      default: 'framewire',
      description: 'Kafka client.id, shown in the broker logs and quotas of the target cluster.',
    },
    compression: {
      type: 'string',
      enum: ['none', 'gzip'],
      default: 'none',
      description: 'Record batch compression; gzip trades CPU for bandwidth to a remote cluster.',
    },
    ssl: {
      type: 'boolean',
      default: false,
      description: 'Connect with TLS, verifying the brokers against the system CAs.',
    },
    sasl: {
      type: 'object',
      additionalProperties: false,
      required: ['mechanism', 'username', 'password'],
      description: 'SASL authentication, if the cluster requires it (usually with ssl: true).',
      properties: {
        mechanism: {
          type: 'string',
          enum: ['plain', 'scram-sha-256', 'scram-sha-512'],
          description: 'SASL mechanism.',
        },
        username: { type: 'string', minLength: 1, description: 'SASL user name.' },
        password: {
          type: 'string',
          minLength: 1,
          description: 'SASL password; interpolate it from the environment.',
        },
      },
    },
    timeout_ms: {
      type: 'integer',
      minimum: 100,
      maximum: 120_000,
      default: 10_000,
      description:
        'How long the brokers may take to acknowledge a batch (acks=all), and the request timeout.',
    },
    max_batch_records: {
      type: 'integer',
      minimum: 1,
      maximum: 100_000,
      default: 5_000,
      description: 'Most records in one produce request.',
    },
    max_batch_bytes: {
      type: 'integer',
      minimum: 1_024,
      maximum: 100_000_000,
      default: DEFAULT_MAX_BATCH_BYTES,
      description:
        "Most bytes in one produce request; keep it under the target topic's max.message.bytes (broker default 1048588).",
    },
    omit_fields: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      uniqueItems: true,
      default: ['client_ip', 'user_agent'],
      description:
        'Top-level event fields left out of the record value, e.g. personal data a partner must not receive.',
    },
    exclude_types: excludeTypesSetting('Event types not forwarded (e.g. ["heartbeat"]).'),
  },
} as const

export default defineConnector<KafkaSettings, KafkaRecord, PartnerProducer>({
  type: 'kafka',
  description: 'Forwards events to a topic of another Kafka cluster (a partner feed), keyed by view id.',
  settingsSchema,

  limits(settings) {
    return { maxItems: settings.max_batch_records, maxBytes: settings.max_batch_bytes }
  },

  dedupeKey: (event) => event.event_id,

  transform(event, settings) {
    if (settings.exclude_types.includes(event.type)) return SKIP
    const value: Record<string, unknown> = { ...event }
    for (const field of settings.omit_fields) delete value[field]
    return {
      key: event.view_id,
      value: JSON.stringify(value),
      headers: {
        event_id: event.event_id,
        type: event.type,
        source: event.source,
        'content-type': 'application/json',
      },
    }
  },

  recordBytes: (record) =>
    Buffer.byteLength(record.value) +
    Buffer.byteLength(record.key) +
    Object.values(record.headers).reduce((sum, value) => sum + Buffer.byteLength(value), 0) +
    RECORD_OVERHEAD_BYTES,

  async open(settings, { log }) {
    return new PartnerProducer(settings, log)
  },

  async close(producer) {
    await producer.close()
  },

  async send(batch, { resources: producer }) {
    return sendSplittingOnTooLarge(batch, async (items) => {
      const messages: Message[] = items.map(({ record }) => ({ ...record }))
      try {
        await producer.send(messages)
        return { outcomes: outcomesForAll(items.length, { kind: 'delivered' }) }
      } catch (error) {
        return { outcomes: outcomesForAll(items.length, outcomeForError(error)), tooLarge: isTooLarge(error) }
      }
    })
  },
})
