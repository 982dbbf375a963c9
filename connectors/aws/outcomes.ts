import type { Outcome } from '../../src/worker/connector.ts'
import { bodyExcerpt, classifyStatus, parseRetryAfter } from '../../src/worker/http-outcome.ts'

/**
 * AWS error → outcome. The SDK turns an error response into an exception named after the service's error
 * code (`ProvisionedThroughputExceededException`, `NoSuchBucket`, …) carrying `$fault`,
 * `$metadata.httpStatusCode` and the raw `$response`; the per-record results of PutRecords/PutRecordBatch
 * carry the same codes. Codes, not statuses, decide: AWS answers AccessDeniedException with 400.
 */

/**
 * Credentials or permissions refused: nothing passes until someone fixes a key, a role or a policy, so the
 * connector pauses (offsets held, nothing dead-lettered) and the runtime probes until it passes again.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/CommonErrors.html (AccessDeniedException,
 * IncompleteSignature, InvalidClientTokenId, MissingAuthenticationToken, ExpiredTokenException, OptInRequired),
 * https://docs.aws.amazon.com/firehose/latest/APIReference/CommonErrors.html (the same),
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html#API_PutRecords_Errors
 * (AccessDeniedException, KMSAccessDeniedException, KMSOptInRequired),
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (AccessDenied, AllAccessDisabled,
 * InvalidAccessKeyId, SignatureDoesNotMatch, ExpiredToken, InvalidToken, TokenRefreshRequired: 400/403),
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html (signature errors).
 */
const CREDENTIAL_ERRORS = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'AllAccessDisabled',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignature',
  'IncompleteSignatureException',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'InvalidToken',
  'TokenRefreshRequired',
  'OptInRequired',
  'KMSAccessDeniedException',
  'KMSOptInRequired',
])

/**
 * Wait before retrying after a missing or disabled resource (stream, bucket, KMS key). These are not paused:
 * a pause is for credentials or quotas, and a stream or bucket deleted on purpose must not hold the
 * connector's offsets forever. Retrying slowly keeps the records in the bus while an operator fixes the
 * setup (the failures open the circuit breaker); records still failing at the end of the retry window are
 * dead-lettered and can be replayed. See ../aws/README.md, "Missing resources".
 */
export const RESOURCE_RETRY_MS = 60_000

/**
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html#API_PutRecords_Errors
 * (ResourceNotFoundException, KMSDisabledException, KMSInvalidStateException, KMSNotFoundException),
 * https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html#API_PutRecordBatch_Errors
 * (ResourceNotFoundException, InvalidKMSResourceException, InvalidSourceException: a stream set up for
 * CloudWatch Logs only), https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (NoSuchBucket).
 */
const RESOURCE_ERRORS = new Set([
  'ResourceNotFoundException',
  'NoSuchBucket',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'InvalidKMSResourceException',
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
  $response?: { headers?: Record<string, string | undefined> }
}

/** An error the service answered with (not a network failure, timeout or credential lookup failure). */
function serviceError(error: unknown): ServiceError | undefined {
  return error instanceof Error && '$metadata' in error && '$fault' in error
    ? (error as ServiceError)
    : undefined
}

/**
 * The wait a throttled answer asks for, read like the SDK's own retry strategy reads it (which the runtime
 * replaces: maxAttempts 1): `x-amz-retry-after` in milliseconds, or a standard Retry-After. AWS answers
 * usually carry neither; the runtime's exponential backoff applies then.
 */
function retryAfterMs(headers: Record<string, string | undefined> = {}): number | undefined {
  const amz = Number(headers['x-amz-retry-after'])
  if (headers['x-amz-retry-after'] !== undefined && Number.isFinite(amz) && amz >= 0) return amz
  return parseRetryAfter(headers['retry-after'])
}

function withStatus<O extends Outcome>(outcome: O, status: number | undefined): O {
  if (status !== undefined) (outcome as { status?: number }).status = status
  return outcome
}

/**
 * The outcome of an error code that means "try again" or "nothing will pass": credentials → paused,
 * missing resources → retry after RESOURCE_RETRY_MS, anything else → retry (with the answer's wait, if any).
 */
function outcomeForCode(
  code: string,
  message: string,
  status: number | undefined,
  headers?: Record<string, string | undefined>,
): Outcome {
  const reason = `${code}: ${bodyExcerpt(message, 300)}`
  if (CREDENTIAL_ERRORS.has(code)) return withStatus({ kind: 'paused', cause: 'credentials', reason }, status)
  const outcome = withStatus<Outcome & { kind: 'retry' }>({ kind: 'retry', reason }, status)
  const afterMs = RESOURCE_ERRORS.has(code) ? RESOURCE_RETRY_MS : retryAfterMs(headers)
  if (afterMs !== undefined) outcome.afterMs = afterMs
  return outcome
}

/**
 * The outcome of a per-record error code. The documented codes are transient
 * (ProvisionedThroughputExceededException, InternalFailure, ServiceUnavailableException); a credential or
 * resource code is read as for a whole request; none means the record itself is bad, so any other is retried.
 */
export function outcomeForErrorCode(code: string, message = ''): Outcome {
  return outcomeForCode(code, message, undefined)
}

/**
 * The outcome of a failed request for all its records: credentials → paused; throttling, 408/429/5xx and
 * server faults → retry; missing resources → retry after RESOURCE_RETRY_MS; other client faults (validation)
 * → rejected. Rethrows what is not a service answer (network errors, aborts): the runtime retries the batch.
 */
export function outcomeForAwsError(error: unknown): Outcome {
  const failure = serviceError(error)
  if (!failure) throw error
  const status = failure.$metadata?.httpStatusCode
  const code = failure.name
  const known = CREDENTIAL_ERRORS.has(code) || RESOURCE_ERRORS.has(code) || TRANSIENT_ERRORS.has(code)
  const retryable =
    Boolean(failure.$retryable) ||
    failure.$fault === 'server' ||
    (status !== undefined && classifyStatus(status) === 'retry')
  if (known || retryable) return outcomeForCode(code, failure.message, status, failure.$response?.headers)
  const reason = `${code}: ${bodyExcerpt(failure.message, 300)}`
  // An unlisted code on 401/403 is still a refusal of the credentials (S3 answers 403 for them).
  if (status === 401 || status === 403) return { kind: 'paused', cause: 'credentials', reason, status }
  return withStatus({ kind: 'rejected', reason, body: bodyExcerpt(failure.message) }, status)
}

/** The request was refused for its size (413) or its content; halves of it may pass. */
export function mayPassSmaller(error: unknown): boolean {
  const failure = serviceError(error)
  return failure?.$metadata?.httpStatusCode === 413 || REQUEST_CONTENT_ERRORS.has(failure?.name ?? '')
}
