import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyReply } from 'fastify'
import { awsJsonError } from './aws-faults.ts'
import { kit, type RecordedRequest, type StandIn, startStandIn } from './recorder.ts'

/**
 * Amazon Data Firehose stand-in speaking the service's AWS JSON 1.1 protocol (POST /, `X-Amz-Target:
 * Firehose_20150804.PutRecordBatch`, `Content-Type: application/x-amz-json-1.1`), enforcing the documented
 * contract (https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html):
 *
 * - SigV4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html):
 *   no Authorization → 400 MissingAuthenticationTokenException; another access key id → 400
 *   UnrecognizedClientException; a credential scope for another region or service, an x-amz-date more than
 *   15 min off, or a signature that does not match the canonical request → 400 InvalidSignatureException;
 * - another target → 400 UnknownOperationException; another content type or a body that is not JSON with
 *   base64 `Data` blobs → 400 SerializationException;
 * - no record or more than 500, or a record over 1,000 KiB (1,024,000 bytes) after base64 decoding → 400
 *   ValidationException (what the service answers: "Member must have length less than or equal to …");
 *   more than 4 MiB of decoded data → 400 InvalidArgumentException ("Records size exceeds 4 MiB limit");
 *   an unknown stream → 400 ResourceNotFoundException;
 * - otherwise 200 `{FailedPutCount, Encrypted, RequestResponses: [{RecordId} | {ErrorCode, ErrorMessage}]}`
 *   in request order. `failNextRecords()` makes chosen records fail (ServiceUnavailableException "Slow
 *   down." by default) while the others are stored; scripted request faults answer with AWS error bodies.
 *
 * Firehose does not deduplicate: every stored record is kept.
 */

export interface FirehoseStandInOptions {
  accessKeyId: string
  secretAccessKey: string
  region: string
  /** Delivery streams that exist. */
  streams: string[]
  maxRecords?: number
  maxRecordBytes?: number
  maxRequestBytes?: number
}

export interface StoredRecord {
  stream: string
  recordId: string
  data: Buffer
  request: RecordedRequest | undefined
}

export interface FirehoseStandIn extends StandIn {
  /** What to configure as the connector's `endpoint`. */
  endpoint: string
  /** Records Firehose accepted, in order. */
  records: StoredRecord[]
  /** The accepted records' data as text, in order. */
  texts(stream?: string): string[]
  /** The records' data of each PutRecordBatch request received, as text, faulted requests included. */
  requestedTexts(): string[][]
  /**
   * The next `count` records for which `where` holds (all records by default) fail with `errorCode`; the
   * other records of their requests are stored.
   */
  failNextRecords(
    count: number,
    options?: { errorCode?: string; message?: string; where?: (text: string) => boolean },
  ): void
}

const TARGET_PREFIX = 'Firehose_20150804.'
const AMZ_JSON = 'application/x-amz-json-1.1'
const MAX_CLOCK_SKEW_MS = 15 * 60_000
const ACCOUNT = '123456789012'
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/

interface AwsError {
  type: string
  message: string
}

function sendError(reply: FastifyReply, status: number, error: AwsError) {
  const answer = awsJsonError(error.type, error.message)
  return reply.code(status).headers(answer.headers).send(answer.body)
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value.join(',') : value
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest()

/** Checks the request's SigV4 signature against the stand-in's credentials; returns the error to answer. */
function verifySignature(
  request: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer },
  options: FirehoseStandInOptions,
  now: number,
): AwsError | undefined {
  const authorization = header(request.headers, 'authorization')
  if (!authorization) {
    return { type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' }
  }
  const match = AUTHORIZATION.exec(authorization)
  if (!match) return { type: 'IncompleteSignatureException', message: 'Authorization header is malformed' }
  const [, accessKeyId, day, region, service, signedHeaderList, signature] = match as unknown as string[]
  if (accessKeyId !== options.accessKeyId) {
    return {
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    }
  }
  if (region !== options.region || service !== 'firehose') {
    return {
      type: 'InvalidSignatureException',
      message: `Credential should be scoped to region '${options.region}' and service 'firehose'.`,
    }
  }
  const amzDate = header(request.headers, 'x-amz-date') ?? ''
  const dated = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate)
  if (!dated || amzDate.slice(0, 8) !== day) {
    return {
      type: 'InvalidSignatureException',
      message: 'X-Amz-Date is missing or does not match the credential date.',
    }
  }
  const [, y, mo, d, h, mi, s] = dated.map(Number) as number[]
  const signedAt = Date.UTC(y as number, (mo as number) - 1, d, h, mi, s)
  if (Math.abs(now - signedAt) > MAX_CLOCK_SKEW_MS) {
    return { type: 'InvalidSignatureException', message: 'Signature expired.' }
  }
  const signedHeaders = (signedHeaderList as string).split(';')
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date')) {
    return { type: 'InvalidSignatureException', message: 'Host and X-Amz-Date must be signed.' }
  }
  const [path, query = ''] = request.url.split('?')
  const canonicalQuery = query.split('&').filter(Boolean).sort().join('&')
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${(header(request.headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('')
  const canonicalRequest = [
    request.method,
    path,
    canonicalQuery,
    canonicalHeaders,
    signedHeaderList,
    header(request.headers, 'x-amz-content-sha256') ?? sha256(request.body),
  ].join('\n')
  const scope = `${day}/${region}/firehose/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n')
  let key = hmac(`AWS4${options.secretAccessKey}`, day as string)
  for (const part of [region as string, 'firehose', 'aws4_request']) key = hmac(key, part)
  const expected = createHmac('sha256', key).update(stringToSign).digest()
  if (!timingSafeEqual(expected, Buffer.from(signature as string, 'hex'))) {
    return {
      type: 'InvalidSignatureException',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    }
  }
  return undefined
}

/** Strict base64 (what the service's JSON deserializer accepts for a blob). */
function decodeBase64(value: unknown): Buffer | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0)
    return undefined
  return Buffer.from(value, 'base64')
}

export async function startFirehoseStandIn(options: FirehoseStandInOptions): Promise<FirehoseStandIn> {
  const maxRecords = options.maxRecords ?? 500
  const maxRecordBytes = options.maxRecordBytes ?? 1_024_000
  const maxRequestBytes = options.maxRequestBytes ?? 4 * 1024 * 1024
  const streams = new Set(options.streams)
  const records: StoredRecord[] = []
  const failures: {
    remaining: number
    errorCode: string
    message: string
    where: (text: string) => boolean
  }[] = []

  const takeFailure = (text: string) => {
    const failure = failures.find((f) => f.remaining > 0 && f.where(text))
    if (!failure) return undefined
    failure.remaining -= 1
    return failure
  }

  const base = await startStandIn({
    faultBody: (status) =>
      status >= 500
        ? { __type: 'ServiceUnavailableException', message: 'Slow down.' }
        : { __type: 'InvalidArgumentException', message: `scripted ${status}` },
    routes(app, recordOf) {
      app.post('/', async (request, reply) => {
        const body = kit.bodyBytes(request)
        const authError = verifySignature(
          { method: request.method, url: request.url, headers: request.headers, body },
          options,
          Date.now(),
        )
        if (authError) return sendError(reply, 400, authError)

        const target = header(request.headers, 'x-amz-target')
        if (target !== `${TARGET_PREFIX}PutRecordBatch`) {
          return sendError(reply, 400, {
            type: 'UnknownOperationException',
            message: `Unknown operation ${target}`,
          })
        }
        if (kit.mediaType(request.headers['content-type']) !== AMZ_JSON) {
          return sendError(reply, 400, {
            type: 'SerializationException',
            message: 'Expected application/x-amz-json-1.1',
          })
        }
        const parsed = kit.parseJson(body)
        if (!parsed.ok || !kit.isRecord(parsed.value)) {
          return sendError(reply, 400, {
            type: 'SerializationException',
            message: 'Body is not a JSON object',
          })
        }
        const { DeliveryStreamName: stream, Records: entries } = parsed.value
        if (typeof stream !== 'string' || !/^[a-zA-Z0-9_.-]{1,64}$/.test(stream)) {
          return sendError(reply, 400, {
            type: 'ValidationException',
            message: `1 validation error detected: Value '${String(stream)}' at 'deliveryStreamName' failed to satisfy constraint`,
          })
        }
        if (!Array.isArray(entries) || entries.length < 1 || entries.length > maxRecords) {
          return sendError(reply, 400, {
            type: 'ValidationException',
            message: `1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length less than or equal to ${maxRecords}`,
          })
        }
        const data: Buffer[] = []
        for (const [index, entry] of entries.entries()) {
          const blob = kit.isRecord(entry) ? decodeBase64(entry.Data) : undefined
          if (!blob) {
            return sendError(reply, 400, {
              type: 'SerializationException',
              message: `records.${index + 1}.member.data is not a base64 blob`,
            })
          }
          if (blob.length === 0 || blob.length > maxRecordBytes) {
            return sendError(reply, 400, {
              type: 'ValidationException',
              message: `1 validation error detected: Value at 'records.${index + 1}.member.data' failed to satisfy constraint: Member must have length less than or equal to ${maxRecordBytes}`,
            })
          }
          data.push(blob)
        }
        if (data.reduce((sum, blob) => sum + blob.length, 0) > maxRequestBytes) {
          return sendError(reply, 400, {
            type: 'InvalidArgumentException',
            message: `Records size exceeds ${maxRequestBytes / (1024 * 1024)} MiB limit`,
          })
        }
        if (!streams.has(stream)) {
          return sendError(reply, 400, {
            type: 'ResourceNotFoundException',
            message: `Firehose ${stream} under account ${ACCOUNT} not found.`,
          })
        }

        const recorded = recordOf(request)
        let failed = 0
        const responses = data.map((blob) => {
          const failure = takeFailure(blob.toString('utf8'))
          if (failure) {
            failed += 1
            return { ErrorCode: failure.errorCode, ErrorMessage: failure.message }
          }
          const recordId = randomBytes(48).toString('base64')
          records.push({ stream, recordId, data: blob, request: recorded })
          return { RecordId: recordId }
        })
        return reply
          .code(200)
          .header('content-type', AMZ_JSON)
          .header('x-amzn-requestid', randomUUID())
          .send(JSON.stringify({ FailedPutCount: failed, Encrypted: false, RequestResponses: responses }))
      })
    },
  })

  return {
    ...base,
    endpoint: base.url,
    records,
    requestedTexts: () =>
      base.received.map((request) => {
        const parsed = kit.parseJson(request.rawBody)
        const entries = parsed.ok && kit.isRecord(parsed.value) ? parsed.value.Records : undefined
        return Array.isArray(entries)
          ? entries.map((entry) =>
              (decodeBase64(kit.isRecord(entry) ? entry.Data : undefined) ?? '').toString(),
            )
          : []
      }),
    texts: (stream) =>
      records.filter((r) => stream === undefined || r.stream === stream).map((r) => r.data.toString('utf8')),
    failNextRecords(
      count,
      { errorCode = 'ServiceUnavailableException', message = 'Slow down.', where = () => true } = {},
    ) {
      failures.push({ remaining: count, errorCode, message, where })
    },
  }
}
