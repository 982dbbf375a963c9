import type { BatchItem, ConnectorDefinition, Outcome, SendContext } from '../../src/worker/connector.ts'
import { sendPrechecked } from '../../src/worker/http-connector.ts'
import { outcomesForAll } from '../../src/worker/http-outcome.ts'
import { mayPassSmaller, outcomeForAwsError, outcomeForErrorCode } from './outcomes.ts'
import { awsCall } from './plan.ts'
import type { AwsSettings } from './settings.ts'

/** One entry of PutRecords' `Records` / PutRecordBatch's `RequestResponses`. */
export interface RecordResult {
  ErrorCode?: string | undefined
  ErrorMessage?: string | undefined
}

/** A put-many API with per-record results: Kinesis PutRecords, Firehose PutRecordBatch. */
/** Settings of a put-many connector: the AWS block and the service's per-record limit. */
type PutRecordsSettings = AwsSettings & { max_record_bytes: number }

export interface PutRecordsApi<Settings extends PutRecordsSettings, R, Input, Resources> {
  service: 'kinesis' | 'firehose'
  operation: string
  /** The stream the records go to, for the plan. */
  resource(settings: Settings): string
  /** Bytes the service counts for one record against `maxRecordBytes`. */
  recordBytes(record: R): number
  /** The command input for `records`: what `plan` shows and `send` sends. */
  input(records: R[], settings: Settings): Input
  /** Sends one request; resolves to the service's per-record results, in request order. */
  put(input: Input, ctx: SendContext<Settings, Resources>): Promise<RecordResult[]>
}

/**
 * `plan` and `send` of a put-many connector. Records over the per-record limit are rejected without a
 * request (the service would refuse the whole request for them); a request refused for its size or content
 * is split in halves so only the offending record fails; each record gets the outcome of its own result
 * entry, so only the failed ones are sent again.
 */
export function putRecordsCalls<Settings extends PutRecordsSettings, R, Input, Resources>(
  api: PutRecordsApi<Settings, R, Input, Resources>,
): Pick<ConnectorDefinition<Settings, R, Resources>, 'plan' | 'send'> {
  const refusal = (settings: Settings) => (item: BatchItem<R>) => {
    const bytes = api.recordBytes(item.record)
    const max = settings.max_record_bytes
    return bytes > max ? `record of ${bytes} bytes is over the ${max}-byte record limit` : undefined
  }
  return {
    async plan(batch, settings) {
      const kept = batch.filter((item) => refusal(settings)(item) === undefined)
      if (kept.length === 0) return []
      const input = api.input(
        kept.map((item) => item.record),
        settings,
      )
      return [awsCall(api.service, api.operation, settings, api.resource(settings), input)]
    },

    send(batch, ctx) {
      return sendPrechecked(batch, refusal(ctx.settings), async (part) => {
        try {
          const input = api.input(
            part.map((item) => item.record),
            ctx.settings,
          )
          const results = await api.put(input, ctx)
          return {
            outcomes: part.map((_, i): Outcome => {
              const result = results[i]
              if (!result) return { kind: 'retry', reason: 'the response has no result for this record' }
              if (result.ErrorCode) return outcomeForErrorCode(result.ErrorCode, result.ErrorMessage)
              return { kind: 'delivered' }
            }),
          }
        } catch (error) {
          return {
            outcomes: outcomesForAll(part.length, outcomeForAwsError(error)),
            tooLarge: mayPassSmaller(error),
          }
        }
      })
    },
  }
}
