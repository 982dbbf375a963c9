import { resolve } from 'node:path'
import { type Static, Type } from '@sinclair/typebox'
import { type BatchItem, defineConnector, type Outcome, type SdkCall } from '../../src/worker/connector.ts'
import { ConnectorSettings } from '../common/settings.ts'
import { type AppendLog, openAppendLog } from './append-log.ts'

export const settingsSchema = ConnectorSettings({
  path: Type.String({
    minLength: 1,
    description:
      'File the events are appended to, one JSON object a line; relative to the working directory. ' +
      'Missing directories are created.',
  }),
  max_events: Type.Integer({
    minimum: 1,
    maximum: 100_000,
    default: 1000,
    description: 'Most events written (and fsynced) together.',
  }),
  max_batch_bytes: Type.Integer({
    minimum: 1024,
    maximum: 64 * 1024 * 1024,
    default: 4 * 1024 * 1024,
    description:
      'Most NDJSON bytes written (and fsynced) together; a single event larger than this is rejected.',
  }),
})
export type FileSettings = Static<typeof settingsSchema>

/** One NDJSON line (without its newline): the enriched event. */
export type FileRecord = string

/** The line and its newline. */
const lineBytes = (record: FileRecord) => Buffer.byteLength(record) + 1

/** Why a line is not written: it alone is over the write size the settings allow. */
function refusal(record: FileRecord, settings: FileSettings): string | undefined {
  const bytes = lineBytes(record)
  return bytes > settings.max_batch_bytes
    ? `line of ${bytes} bytes is over max_batch_bytes (${settings.max_batch_bytes}): raise it to write such events`
    : undefined
}

/** The lines of a batch that are written: all but the refused ones. */
function writtenLines(items: BatchItem<FileRecord>[], settings: FileSettings): FileRecord[] {
  return items.map((item) => item.record).filter((record) => refusal(record, settings) === undefined)
}

export default defineConnector<FileSettings, FileRecord, AppendLog>({
  type: 'file',
  description: 'Appends enriched events as NDJSON to a local file, fsynced before they count as delivered.',
  settingsSchema,

  limits(settings) {
    return { maxItems: settings.max_events, maxBytes: settings.max_batch_bytes }
  },

  // Nothing dedupes in a file: a batch written again after a crash repeats its lines; readers use event_id.
  transform: (event) => JSON.stringify(event),

  recordBytes: lineBytes,

  // The append of the lines (each followed by a newline) that send makes; plan touches no file.
  async plan(batch, settings) {
    const lines = writtenLines(batch, settings)
    if (lines.length === 0) return []
    const call: SdkCall = {
      kind: 'sdk',
      client: 'node:fs',
      operation: 'append',
      target: resolve(settings.path),
      params: lines,
    }
    return [call]
  },

  async open(settings) {
    return openAppendLog(resolve(settings.path))
  },

  async close(log) {
    await log.close()
  },

  // A failed write or fsync throws: the runtime retries the batch (a full disk may be freed meanwhile).
  async send(batch, ctx) {
    const lines = writtenLines(batch, ctx.settings)
    if (lines.length > 0) await ctx.resources.append(`${lines.join('\n')}\n`)
    return batch.map((item): Outcome => {
      const reason = refusal(item.record, ctx.settings)
      return reason === undefined ? { kind: 'delivered' } : { kind: 'rejected', reason }
    })
  },
})
