import {
  FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchCommandInput,
} from '@aws-sdk/client-firehose'
import { type Static, Type } from '@sinclair/typebox'
import { defineConnector } from '../../src/worker/connector.ts'
import { awsClientConfig } from '../aws/client-options.ts'
import { putRecordsCalls } from '../aws/put-records.ts'
import { eventLine, lineBytes } from '../aws/records.ts'
import { awsSchemaOptions, awsSettingsProperties } from '../aws/settings.ts'
import { ConnectorSettings } from '../common/settings.ts'

/** One record's data: the event's JSON and a newline. */
export type FirehoseRecord = string

export interface FirehoseResources {
  client: FirehoseClient
}

// https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html: "up to 500 records.
// Each record in the request can be as large as 1,000 KB (before base64 encoding), up to a limit of 4 MB for
// the entire request. These limits cannot be changed." The service checks records against 1,024,000 bytes
// ("Member must have length less than or equal to 1024000") and the request against 4 MiB.
export const MAX_RECORDS = 500
export const MAX_RECORD_BYTES = 1_024_000
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024

export const settingsSchema = ConnectorSettings(
  {
    delivery_stream_name: Type.String({
      pattern: '^[a-zA-Z0-9_.-]{1,64}$',
      description: 'Name of the Firehose stream (Direct PUT source).',
    }),
    ...awsSettingsProperties,
    max_records: Type.Integer({
      minimum: 1,
      maximum: MAX_RECORDS,
      default: MAX_RECORDS,
      description: 'Most records in one PutRecordBatch request (Firehose: 500).',
    }),
    max_request_bytes: Type.Integer({
      minimum: 1024,
      maximum: MAX_REQUEST_BYTES,
      default: MAX_REQUEST_BYTES,
      description: 'Most data bytes (before base64) in one request (Firehose: 4 MiB).',
    }),
    max_record_bytes: Type.Integer({
      minimum: 1024,
      maximum: MAX_RECORD_BYTES,
      default: MAX_RECORD_BYTES,
      description:
        'Largest record, newline included (Firehose: 1,000 KiB). Larger events are dead-lettered without being sent.',
    }),
  },
  awsSchemaOptions,
)
export type FirehoseSettings = Static<typeof settingsSchema>

/** The PutRecordBatch input for `records`: what `plan` shows and `send` sends. */
export function putRecordBatchInput(
  records: FirehoseRecord[],
  settings: FirehoseSettings,
): PutRecordBatchCommandInput {
  return {
    DeliveryStreamName: settings.delivery_stream_name,
    Records: records.map((record) => ({ Data: Buffer.from(record) })),
  }
}

export default defineConnector<FirehoseSettings, FirehoseRecord, FirehoseResources>({
  type: 'firehose',
  description:
    'Enriched events as newline-delimited JSON records in an Amazon Data Firehose stream (PutRecordBatch).',
  settingsSchema,

  limits(settings) {
    return { maxItems: settings.max_records, maxBytes: settings.max_request_bytes }
  },

  // Firehose has no idempotency key: every line carries its event_id for the destination to dedupe on.
  // Firehose concatenates records into its destination objects; the newline keeps them apart.
  transform: eventLine,

  recordBytes: lineBytes,

  async open(settings) {
    return { client: new FirehoseClient(awsClientConfig(settings)) }
  },

  async close(resources) {
    resources.client.destroy()
  },

  ...putRecordsCalls({
    service: 'firehose',
    operation: 'PutRecordBatch',
    resource: (settings) => `deliverystream/${settings.delivery_stream_name}`,
    recordBytes: lineBytes,
    input: putRecordBatchInput,
    put: (input, ctx) =>
      ctx.resources.client
        .send(new PutRecordBatchCommand(input), { abortSignal: ctx.signal })
        .then((response) => response.RequestResponses ?? []),
  }),
})
