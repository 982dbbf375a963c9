import { type Static, Type } from '@sinclair/typebox'
import { CompressionTypes, type ProducerRecord } from 'kafkajs'
import { type BatchItem, defineConnector, type SdkCall } from '../../src/worker/connector.ts'
import { outcomesForAll, sendSplittingOnTooLarge } from '../../src/worker/http-outcome.ts'
import { ConnectorSettings, StringEnum } from '../common/settings.ts'
import { isTooLarge, outcomeForError, PartnerProducer } from './producer.ts'

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

export const settingsSchema = ConnectorSettings({
  brokers: Type.Array(Type.String({ pattern: '^[^:\\s]+:[0-9]{1,5}$' }), {
    minItems: 1,
    description: 'Bootstrap brokers of the target cluster, host:port.',
  }),
  topic: Type.String({
    pattern: '^[A-Za-z0-9._-]{1,249}$',
    description: 'Target topic; it must exist (the producer does not create topics).',
  }),
  client_id: Type.String({
    minLength: 1,
    default: 'framewire',
    description: 'Kafka client.id, shown in the broker logs and quotas of the target cluster.',
  }),
  compression: StringEnum(['none', 'gzip'] as const, {
    default: 'none',
    description: 'Record batch compression; gzip trades CPU for bandwidth to a remote cluster.',
  }),
  ssl: Type.Boolean({
    default: false,
    description: 'Connect with TLS, verifying the brokers against the system CAs.',
  }),
  sasl: Type.Optional(
    Type.Object(
      {
        mechanism: StringEnum(['plain', 'scram-sha-256', 'scram-sha-512'] as const, {
          description: 'SASL mechanism.',
        }),
        username: Type.String({ minLength: 1, description: 'SASL user name.' }),
        password: Type.String({
          minLength: 1,
          description: 'SASL password; interpolate it from the environment.',
        }),
      },
      {
        additionalProperties: false,
        description: 'SASL authentication, if the cluster requires it (usually with ssl: true).',
      },
    ),
  ),
  max_batch_records: Type.Integer({
    minimum: 1,
    maximum: 100_000,
    default: 5_000,
    description: 'Most records in one produce request.',
  }),
  max_batch_bytes: Type.Integer({
    minimum: 1_024,
    maximum: 100_000_000,
    default: DEFAULT_MAX_BATCH_BYTES,
    description:
      "Most bytes in one produce request; keep it under the target topic's max.message.bytes (broker default 1048588).",
  }),
  omit_fields: Type.Array(Type.String({ minLength: 1 }), {
    uniqueItems: true,
    default: ['client_ip', 'user_agent'],
    description:
      'Top-level event fields left out of the record value, e.g. personal data a partner must not receive.',
  }),
})
export type KafkaSettings = Static<typeof settingsSchema>

/** The produce call a group of records becomes: what `send` hands kafkajs, and what `plan` shows. */
export function produceCall(
  items: BatchItem<KafkaRecord>[],
  settings: KafkaSettings,
): SdkCall & { params: ProducerRecord } {
  return {
    kind: 'sdk',
    client: 'kafkajs',
    operation: 'producer.send',
    target: settings.brokers.join(','),
    params: {
      topic: settings.topic,
      messages: items.map(({ record }) => ({ ...record })),
      // acks=all: the record is on every in-sync replica before it counts as delivered.
      acks: -1,
      compression: settings.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
    },
  }
}

export default defineConnector<KafkaSettings, KafkaRecord, PartnerProducer>({
  type: 'kafka',
  description: 'Forwards events to a topic of another Kafka cluster (a partner feed), keyed by view id.',
  settingsSchema,

  limits(settings) {
    return { maxItems: settings.max_batch_records, maxBytes: settings.max_batch_bytes }
  },

  transform(event, settings) {
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

  async plan(batch, settings) {
    return [produceCall(batch, settings)]
  },

  async open(settings, { log }) {
    return new PartnerProducer(settings, log)
  },

  async close(producer) {
    await producer.close()
  },

  async send(batch, { settings, resources: producer }) {
    return sendSplittingOnTooLarge(batch, async (items) => {
      try {
        await producer.send(produceCall(items, settings).params)
        return { outcomes: outcomesForAll(items.length, { kind: 'delivered' }) }
      } catch (error) {
        return { outcomes: outcomesForAll(items.length, outcomeForError(error)), tooLarge: isTooLarge(error) }
      }
    })
  },
})
