import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import { gzip as gzipCallback } from 'node:zlib'
import { PutObjectCommand, type PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3'
import { type Static, Type } from '@sinclair/typebox'
import type { EnrichedEvent } from '../../src/event.ts'
import { type BatchItem, type BatchLimits, defineConnector } from '../../src/worker/connector.ts'
import { outcomesForAll } from '../../src/worker/http-outcome.ts'
import { awsClientConfig } from '../aws/client-options.ts'
import { outcomeForAwsError } from '../aws/outcomes.ts'
import { awsCall } from '../aws/plan.ts'
import { eventLine, lineBytes } from '../aws/records.ts'
import { awsSchemaOptions, awsSettingsProperties } from '../aws/settings.ts'
import { ConnectorSettings } from '../common/settings.ts'

const gzip = promisify(gzipCallback)

/** One NDJSON line (newline included): the enriched event. */
export type S3Record = string

export interface S3Resources {
  client: S3Client
}

// https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html: one PUT uploads at most 5 GB.
// The object is built in memory, so the setting is capped well below that.
export const MAX_OBJECT_BYTES = 1024 * 1024 * 1024

export const settingsSchema = ConnectorSettings(
  {
    bucket: Type.String({
      pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
      description: 'Bucket the objects are written to.',
    }),
    prefix: Type.String({
      pattern: '^([^/].*/)?$',
      default: 'framewire/events/',
      description: 'Key prefix of every object: empty, or ending with "/" (no leading "/").',
    }),
    ...awsSettingsProperties,
    force_path_style: Type.Boolean({
      default: false,
      description: 'Path-style URLs (endpoint/bucket/key) instead of virtual-hosted ones; for local servers.',
    }),
    roll_interval_ms: Type.Integer({
      minimum: 100,
      maximum: 900_000,
      default: 60_000,
      description: 'Longest time an object stays open for more events before it is written.',
    }),
    max_object_records: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      default: 5_000,
      description:
        "Events per object at most. Keep it at most half the connector's max_buffered_records (default 10000): " +
        'the events of an open object are held in the worker until the object is written.',
    }),
    max_object_bytes: Type.Integer({
      minimum: 1024,
      maximum: MAX_OBJECT_BYTES,
      default: 64 * 1024 * 1024,
      description: 'Uncompressed NDJSON bytes per object at most.',
    }),
  },
  awsSchemaOptions,
)
export type S3Settings = Static<typeof settingsSchema>

/**
 * `<prefix>dt=YYYY-MM-DD/hour=HH/<first received_at>-<hash>-<count>.ndjson.gz`, in UTC. Derived from the
 * batch's events only (the earliest `received_at` and a hash of the sorted event_ids), so sending the same
 * events again overwrites the object instead of adding a second one.
 */
export function objectKey(prefix: string, events: EnrichedEvent[]): string {
  let first = Number.POSITIVE_INFINITY
  for (const event of events) first = Math.min(first, event.received_at)
  const at = new Date(first).toISOString()
  const hash = createHash('sha256')
    .update(
      events
        .map((event) => event.event_id)
        .sort()
        .join('\n'),
    )
    .digest('hex')
    .slice(0, 16)
  const stamp = at.replace(/[-:.]/g, '')
  return `${prefix}dt=${at.slice(0, 10)}/hour=${at.slice(11, 13)}/${stamp}-${hash}-${events.length}.ndjson.gz`
}

/** The PutObject input for a batch: what `plan` describes and `send` sends. */
export async function putObjectInput(
  batch: BatchItem<S3Record>[],
  settings: S3Settings,
): Promise<PutObjectCommandInput & { Body: Buffer }> {
  return {
    Bucket: settings.bucket,
    Key: objectKey(
      settings.prefix,
      batch.map((item) => item.event),
    ),
    Body: await gzip(batch.map((item) => item.record).join('')),
    // A gzip file, like Firehose's GZIP output: no Content-Encoding, so HTTP clients do not unzip it.
    ContentType: 'application/gzip',
  }
}

export default defineConnector<S3Settings, S3Record, S3Resources>({
  type: 's3',
  description: 'Enriched events as gzipped NDJSON objects in an Amazon S3 bucket, rolled by size or time.',
  settingsSchema,

  // An object store wants few, large writes: the object stays open up to roll_interval_ms (README, "Rolling").
  limits(settings): BatchLimits {
    return {
      maxItems: settings.max_object_records,
      maxBytes: settings.max_object_bytes,
      lingerMs: settings.roll_interval_ms,
    }
  },

  // Deterministic object keys make a resent batch overwrite its object; lines carry event_id for readers.
  transform: eventLine,

  recordBytes: lineBytes,

  async open(settings) {
    return {
      client: new S3Client({ ...awsClientConfig(settings), forcePathStyle: settings.force_path_style }),
    }
  },

  async close(resources) {
    resources.client.destroy()
  },

  async plan(batch, settings) {
    const input = await putObjectInput(batch, settings)
    // The body as its size and the lines it gzips, not as compressed bytes.
    const body = { gzip_bytes: input.Body.length, ndjson_lines: batch.map((item) => item.record) }
    return [
      awsCall('s3', 'PutObject', settings, `s3://${input.Bucket}/${input.Key}`, { ...input, Body: body }),
    ]
  },

  async send(batch, ctx) {
    try {
      const input = await putObjectInput(batch, ctx.settings)
      await ctx.resources.client.send(new PutObjectCommand(input), { abortSignal: ctx.signal })
      return outcomesForAll(batch.length, { kind: 'delivered' })
    } catch (error) {
      return outcomesForAll(batch.length, outcomeForAwsError(error))
    }
  },
})
