import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose'
import { defineConnector, SKIP } from '../../src/worker/connector.ts'
import {
  type AwsSettings,
  awsClientConfig,
  awsCredentialRules,
  awsSettingsProperties,
} from '../aws/client-options.ts'
import { putRecords } from '../aws/outcomes.ts'
import { eventJson, excludeTypesProperty } from '../aws/records.ts'

export interface FirehoseSettings extends AwsSettings {
  delivery_stream_name: string
  max_records: number
  max_request_bytes: number
  max_record_bytes: number
  exclude_types: string[]
}

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

export const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['delivery_stream_name', 'region'],
  ...awsCredentialRules,
  properties: {
    delivery_stream_name: {
      type: 'string',
      pattern: '^[a-zA-Z0-9_.-]{1,64}$',
      description: 'Name of the Firehose stream (Direct PUT source).',
    },
    ...awsSettingsProperties,
    max_records: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_RECORDS,
      default: MAX_RECORDS,
      description: 'Most records in one PutRecordBatch request (Firehose: 500).',
    },
    max_request_bytes: {
      type: 'integer',
      minimum: 1024,
      maximum: MAX_REQUEST_BYTES,
      default: MAX_REQUEST_BYTES,
      description: 'Most data bytes (before base64) in one request (Firehose: 4 MiB).',
    },
    max_record_bytes: {
      type: 'integer',
      minimum: 1024,
      maximum: MAX_RECORD_BYTES,
      default: MAX_RECORD_BYTES,
      description:
        'Largest record, newline included (Firehose: 1,000 KiB). Larger events are dead-lettered without being sent.',
    },
    exclude_types: excludeTypesProperty,
  },
} as const

const firehoseRecordBytes = (record: FirehoseRecord) => Buffer.byteLength(record)

export default defineConnector<FirehoseSettings, FirehoseRecord, FirehoseResources>({
  type: 'firehose',
  description:
    'Enriched events as newline-delimited JSON records in an Amazon Data Firehose stream (PutRecordBatch).',
  settingsSchema,

  limits(settings) {
    return { maxItems: settings.max_records, maxBytes: settings.max_request_bytes }
  },

  // Firehose has no idempotency key: every line carries its event_id for the destination to dedupe on.
  dedupeKey: (event) => event.event_id,

  transform(event, settings) {
    const json = eventJson(event, settings)
    // Firehose concatenates records into its destination objects; the newline keeps them apart.
    return json === SKIP ? SKIP : `${json}\n`
  },

  recordBytes: firehoseRecordBytes,

  async open(settings) {
    return { client: new FirehoseClient(awsClientConfig(settings)) }
  },

  async close(resources) {
    resources.client.destroy()
  },

  send(batch, ctx) {
    const { settings, resources } = ctx
    return putRecords(batch, {
      recordBytes: firehoseRecordBytes,
      maxRecordBytes: settings.max_record_bytes,
      async put(records) {
        const response = await resources.client.send(
          new PutRecordBatchCommand({
            DeliveryStreamName: settings.delivery_stream_name,
            Records: records.map((record) => ({ Data: Buffer.from(record) })),
          }),
          { abortSignal: ctx.signal },
        )
        return response.RequestResponses ?? []
      },
    })
  },
})
