import { randomUUID } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { request } from 'undici'
import { kit, type StandIn, startStandIn } from './recorder.ts'
import type { FailOptions } from './scripted.ts'

/**
 * AWS error answers, shaped as the services send them and the SDK parses them, for scripted faults; and a
 * fault proxy in front of a real local AWS server (kinesalite, s3rver), which cannot fail on demand.
 */

/** Wait hints the SDK's retry strategy reads from a throttled answer (x-amz-retry-after is milliseconds). */
function waitHeaders(options: { retryAfterSeconds?: number }): Record<string, string> {
  return options.retryAfterSeconds === undefined
    ? {}
    : { 'x-amz-retry-after': String(options.retryAfterSeconds * 1000) }
}

/**
 * An AWS JSON 1.1 error (Kinesis, Firehose): `x-amzn-ErrorType` and `{"__type", "message"}`
 * (https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html, "Operation error serialization").
 */
export function awsJsonError(type: string, message: string, options: { retryAfterSeconds?: number } = {}) {
  return {
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': randomUUID(),
      'x-amzn-errortype': type,
      ...waitHeaders(options),
    },
    body: JSON.stringify({ __type: type, message }),
  } satisfies FailOptions
}

/** An S3 REST error: `<Error><Code>…` (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). */
export function s3XmlError(code: string, message: string, options: { retryAfterSeconds?: number } = {}) {
  const requestId = randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase()
  return {
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId, ...waitHeaders(options) },
    body:
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`,
  } satisfies FailOptions
}

/** Hop-by-hop headers, which the proxy's own connection sets again. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length'])

/** The answer of the server behind the proxy. */
export interface Forwarded {
  status: number
  headers: Record<string, string>
  body: Buffer
}

/**
 * Sends a request on to `target` as it came (signed headers included, `host` too, so a signature checked
 * there still matches), with `body` in place of the received one if given.
 */
export async function forward(target: string, req: FastifyRequest, body?: Buffer): Promise<Forwarded> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = String(value)
  }
  const res = await request(`${target}${req.url}`, {
    method: req.method as 'POST',
    headers,
    body: body ?? kit.bodyBytes(req),
  })
  const answer: Record<string, string> = {}
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) answer[name] = String(value)
  }
  return { status: res.statusCode, headers: answer, body: Buffer.from(await res.body.arrayBuffer()) }
}

export function reply(to: FastifyReply, answer: Forwarded) {
  return to.code(answer.status).headers(answer.headers).send(answer.body)
}

/**
 * A fault proxy: records every request and applies `script` faults like any stand-in, forwards the others
 * to `target` (through `handle` when given, for faults inside a request, such as per-record failures).
 */
export async function startFaultProxy(
  target: string,
  handle: (req: FastifyRequest, res: FastifyReply) => Promise<unknown> = async (req, res) =>
    reply(res, await forward(target, req)),
): Promise<StandIn> {
  return startStandIn({
    routes(app) {
      app.all('/*', handle)
    },
  })
}
