import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis'
import { type Static, Type } from '@sinclair/typebox'
import { defineConnector } from '../../src/worker/connector.ts'
import { awsClientConfig } from '../aws/client-options.ts'
import { putRecordsCalls } from '../aws/put-records.ts'
import { eventJson } from '../aws/records.ts'
import { awsSchemaOptions, awsSettingsProperties } from '../aws/settings.ts'
import { ConnectorSettings, StringEnum } from '../common/settings.ts'

/** One PutRecords entry before encoding: the event's JSON and its partition key. */
export interface KinesisRecord {
  data: string
  partitionKey: string
}

export interface KinesisResources {
  client: KinesisClient
}

const MiB = 1024 * 1024

// https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html: "up to 500 records". The
// same page now says 10 MiB per record and per request (it said 1 MiB and 5 MiB until large records came);
// https://docs.aws.amazon.com/streams/latest/dev/large-records.html: a stream's maximum record size is
// 1 MiB unless raised (UpdateMaxRecordSize, up to 10 MiB). The size counts partition key + data.
export const MAX_RECORDS = 500
export const DEFAULT_MAX_RECORD_BYTES = MiB
export const DEFAULT_MAX_REQUEST_BYTES = 5 * MiB
export const MAX_BYTES = 10 * MiB

export const settingsSchema = ConnectorSettings(
  {
    stream_name: Type.Optional(
      Type.String({
        pattern: '^[a-zA-Z0-9_.-]{1,128}$',
        description: 'Name of the Kinesis data stream (or give stream_arn).',
      }),
    ),
    stream_arn: Type.Optional(
      Type.String({
        pattern: '^arn:aws.*:kinesis:.*:[0-9]{12}:stream/\\S+$',
        description: 'ARN of the stream; AWS recommends it over the name. Either this or stream_name.',
      }),
    ),
    ...awsSettingsProperties,
    partition_key: StringEnum(['view_id', 'session_id', 'event_id'] as const, {
      default: 'view_id',
      description:
        'Event field used as the partition key: view_id keeps the events of a view on one shard, in order; ' +
        'event_id spreads them evenly.',
    }),
    max_records: Type.Integer({
      minimum: 1,
      maximum: MAX_RECORDS,
      default: MAX_RECORDS,
      description: 'Most records in one PutRecords request (Kinesis: 500).',
    }),
    max_request_bytes: Type.Integer({
      minimum: 1024,
      maximum: MAX_BYTES,
      default: DEFAULT_MAX_REQUEST_BYTES,
      description:
        'Most data + partition-key bytes in one request. 5 MiB is accepted everywhere; the current API reference ' +
        'allows 10 MiB.',
    }),
    max_record_bytes: Type.Integer({
      minimum: 1024,
      maximum: MAX_BYTES,
      default: DEFAULT_MAX_RECORD_BYTES,
      description:
        "The stream's maximum record size (data + partition key): 1 MiB unless raised with UpdateMaxRecordSize. " +
        'Larger events are dead-lettered without being sent.',
    }),
  },
  {
    ...awsSchemaOptions,
    // `properties: { x: true }` repeats the name for ajv's strictRequired; the real definitions are above.
    anyOf: [
      { required: ['stream_name'], properties: { stream_name: true } },
      { required: ['stream_arn'], properties: { stream_arn: true } },
    ],
  },
)
export type KinesisSettings = Static<typeof settingsSchema>

export function kinesisRecordBytes(record: KinesisRecord): number {
  return Buffer.byteLength(record.data) + Buffer.byteLength(record.partitionKey)
}

/** The PutRecords input for `records`: what `plan` shows and `send` sends. */
export function putRecordsInput(records: KinesisRecord[], settings: KinesisSettings): PutRecordsCommandInput {
  return {
    ...(settings.stream_arn === undefined ? {} : { StreamARN: settings.stream_arn }),
    ...(settings.stream_name === undefined ? {} : { StreamName: settings.stream_name }),
    Records: records.map((record) => ({ Data: Buffer.from(record.data), PartitionKey: record.partitionKey })),
  }
}

export default defineConnector<KinesisSettings, KinesisRecord, KinesisResources>({
  type: 'kinesis',
  description: 'Enriched events as JSON records in an Amazon Kinesis data stream (PutRecords).',
  settingsSchema,

  limits(settings) {
    return { maxItems: settings.max_records, maxBytes: settings.max_request_bytes }
  },

  // Kinesis has no idempotency key: every record carries its event_id for consumers to dedupe on.
  transform: (event, settings) => ({
    data: eventJson(event),
    partitionKey: String(event[settings.partition_key]),
  }),

  recordBytes: kinesisRecordBytes,

  async open(settings) {
    return { client: new KinesisClient(awsClientConfig(settings)) }
  },

  async close(resources) {
    resources.client.destroy()
  },

  ...putRecordsCalls({
    service: 'kinesis',
    operation: 'PutRecords',
    resource: (settings) => settings.stream_arn ?? `stream/${settings.stream_name}`,
    recordBytes: kinesisRecordBytes,
    input: putRecordsInput,
    put: (input, ctx) =>
      ctx.resources.client
        .send(new PutRecordsCommand(input), { abortSignal: ctx.signal })
        .then((response) => response.Records ?? []),
  }),
})
