import { resolve } from 'node:path'
import { defineConnector } from '../../src/worker/connector.ts'
import { outcomesForAll } from '../../src/worker/http-outcome.ts'
import { eventJson, excludeTypesProperty } from '../aws/records.ts'
import { type AppendLog, openAppendLog } from './append-log.ts'

export interface FileSettings {
  path: string
  max_events: number
  max_batch_bytes: number
  exclude_types: string[]
}

/** One NDJSON line (without its newline): the enriched event. */
export type FileRecord = string

export const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: {
      type: 'string',
      minLength: 1,
      description:
        'File the events are appended to, one JSON object a line; relative to the working directory. ' +
        'Missing directories are created.',
    },
    max_events: {
      type: 'integer',
      minimum: 1,
      maximum: 100_000,
      default: 1000,
      description: 'Most events written (and fsynced) together.',
    },
    max_batch_bytes: {
      type: 'integer',
      minimum: 1024,
      maximum: 64 * 1024 * 1024,
      default: 4 * 1024 * 1024,
      description: 'Most NDJSON bytes written (and fsynced) together.',
    },
    exclude_types: excludeTypesProperty,
  },
} as const

export default defineConnector<FileSettings, FileRecord, AppendLog>({
  type: 'file',
  description: 'Appends enriched events as NDJSON to a local file, fsynced before they count as delivered.',
  settingsSchema,

  limits(settings) {
    return { maxItems: settings.max_events, maxBytes: settings.max_batch_bytes }
  },

  // Nothing dedupes in a file: a batch written again after a crash repeats its lines; readers use event_id.
  dedupeKey: (event) => event.event_id,

  transform: eventJson,

  // The line and its newline.
  recordBytes: (record) => Buffer.byteLength(record) + 1,

  async open(settings) {
    return openAppendLog(resolve(settings.path))
  },

  async close(log) {
    await log.close()
  },

  // A failed write or fsync throws: the runtime retries the batch (a full disk may be freed meanwhile).
  async send(batch, ctx) {
    await ctx.resources.append(`${batch.map((item) => item.record).join('\n')}\n`)
    return outcomesForAll(batch.length, { kind: 'delivered' })
  },
})
