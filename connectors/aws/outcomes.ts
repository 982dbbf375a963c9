import type { BatchItem, Outcome } from '../../src/worker/connector.ts'
import { bodyExcerpt, classifyStatus, outcomesForAll } from '../../src/worker/http-outcome.ts'
import { sendPrechecked } from '../common/send-prechecked.ts'

/**
 * AWS error → outcome. The SDK turns an error response into an exception named after the service's error
 * code (`ProvisionedThroughputExceededException`, `NoSuchBucket`, …) carrying `$fault` and
 * `$metadata.httpStatusCode`; the per-record results of PutRecords/PutRecordBatch carry the same codes.
 */

/**
 * Wait before retrying after a configuration error (stream or bucket missing, access denied, KMS key
 * disabled, bad credentials). Retrying instead of rejecting keeps the records in the bus while an operator
 * fixes the setup: the failures open the circuit breaker, which pauses consumption; only records still
 * failing at the end of the retry window are dead-lettered.
 */
export const CONFIG_RETRY_MS = 60_000

const CONFIGURATION_ERRORS = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'AccessDenied',
  'NoSuchBucket',
  'AllAccessDisabled',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignature',
  'MissingAuthenticationTokenException',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
  'InvalidKMSResourceException',
  // Firehose stream set up for CloudWatch Logs only.
  'InvalidSourceException',
])

/** Throttling and transient failures that some services send with a 4xx status. */
const TRANSIENT_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'KMSThrottlingException',
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalFailureException',
  'RequestTimeout',
  'RequestTimeoutException',
])

/** Errors about a request's size or content, which a smaller request may avoid. */
const REQUEST_CONTENT_ERRORS = new Set(['ValidationException', 'InvalidArgumentException'])

interface ServiceError extends Error {
  $fault?: 'client' | 'server'
  $retryable?: unknown
  $metadata?: { httpStatusCode?: number }
}

/** An error the service answered with (not a network failure, timeout or credential lookup failure). */
function serviceError(error: unknown): ServiceError | undefined {
  return error instanceof Error && '$metadata' in error && '$fault' in error
    ? (error as ServiceError)
    : undefined
}

function retry(reason: string, code: string, status: number | undefined): Outcome {
  const outcome: Outcome = { kind: 'retry', reason }
  if (status !== undefined) outcome.status = status
  if (CONFIGURATION_ERRORS.has(code)) outcome.afterMs = CONFIG_RETRY_MS
  return outcome
}

/**
 * The outcome of a per-record error code. The documented codes are transient
 * (ProvisionedThroughputExceededException, InternalFailure, ServiceUnavailableException); any other code is
 * retried too, after a pause if it names a configuration problem: none means the record itself is bad.
 */
export function outcomeForErrorCode(code: string, message = ''): Outcome {
  return retry(`${code}: ${bodyExcerpt(message, 300)}`, code, undefined)
}

/**
 * The outcome of a failed request for all its records. Throttling, 408/429/5xx and server faults → retry;
 * configuration errors → retry after CONFIG_RETRY_MS; other client faults (validation) → rejected.
 * Rethrows what is not a service answer (network errors, aborts): the runtime retries the batch.
 */
export function outcomeForAwsError(error: unknown): Outcome {
  const failure = serviceError(error)
  if (!failure) throw error
  const status = failure.$metadata?.httpStatusCode
  const code = failure.name
  const reason = `${code}: ${bodyExcerpt(failure.message, 300)}`
  const retryable =
    CONFIGURATION_ERRORS.has(code) ||
    TRANSIENT_ERRORS.has(code) ||
    Boolean(failure.$retryable) ||
    failure.$fault === 'server' ||
    (status !== undefined && classifyStatus(status) === 'retry')
  if (retryable) return retry(reason, code, status)
  const outcome: Outcome = { kind: 'rejected', reason, body: bodyExcerpt(failure.message) }
  if (status !== undefined) outcome.status = status
  return outcome
}

/** The request was refused for its size (413) or its content; halves of it may pass. */
export function mayPassSmaller(error: unknown): boolean {
  const failure = serviceError(error)
  return failure?.$metadata?.httpStatusCode === 413 || REQUEST_CONTENT_ERRORS.has(failure?.name ?? '')
}

/** One entry of PutRecords' `Records` / PutRecordBatch's `RequestResponses`. */
export interface RecordResult {
  ErrorCode?: string | undefined
  ErrorMessage?: string | undefined
}

export interface PutRecordsOptions<R> {
  /** Bytes the service counts for one record against `maxRecordBytes`. */
  recordBytes(record: R): number
  maxRecordBytes: number
  /** One request carrying `records`; resolves to the service's per-record results, in request order. */
  put(records: R[]): Promise<RecordResult[]>
}

/**
 * Sends a batch through a put-many API with per-record results (Kinesis PutRecords, Firehose
 * PutRecordBatch): records over the per-record limit are rejected without a request (the service would
 * refuse the whole request for them); a request refused for its size or content is split in halves so
 * only the offending record fails; each record gets the outcome of its own result entry, so only the
 * failed ones are retried.
 */
export async function putRecords<R>(
  batch: BatchItem<R>[],
  options: PutRecordsOptions<R>,
): Promise<Outcome[]> {
  const refusal = (item: BatchItem<R>) => {
    const bytes = options.recordBytes(item.record)
    return bytes > options.maxRecordBytes
      ? `record of ${bytes} bytes is over the ${options.maxRecordBytes}-byte record limit`
      : undefined
  }
  return sendPrechecked(batch, refusal, async (part) => {
    try {
      const results = await options.put(part.map((item) => item.record))
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
}
