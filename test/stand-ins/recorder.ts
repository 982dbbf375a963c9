import type { IncomingHttpHeaders } from 'node:http'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { gunzipSync, inflateSync } from 'node:zlib'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { type FailOptions, type Fault, Script } from './scripted.ts'

/**
 * The common part of every vendor stand-in: a Fastify server on 127.0.0.1:<random port> that records
 * each request (raw bytes, headers, arrival time) and applies the scripted faults before the vendor
 * handler runs. Vendor modules add their routes and contract checks on top.
 */

export interface RecordedRequest {
  /** 0-based arrival order. */
  index: number
  method: string
  /** Path and query, as sent. */
  url: string
  headers: IncomingHttpHeaders
  /** The body exactly as received (still compressed if the client compressed it). */
  rawBody: Buffer
  /** Arrival time, epoch ms. */
  receivedAt: number
  /** Arrival time on the monotonic clock (performance.now()), for latency measurements. */
  receivedAtMono: number
  /** The scripted fault applied to this request, if any. */
  fault?: Fault['kind']
  /** Status sent back; undefined while pending, or when the request hung or was reset. */
  status?: number
  respondedAtMono?: number
}

export interface StandIn {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string
  /** Every request received, in arrival order, faulted ones included. */
  received: RecordedRequest[]
  script: Script
  /** Resolves once at least `n` requests have arrived. */
  waitForRequests(n: number, timeoutMs?: number): Promise<void>
  /** Stops listening and destroys open connections (hung requests included). */
  close(): Promise<void>
}

export interface StandInOptions {
  /** Body for scripted status faults when the test gives none. */
  faultBody?: (status: number) => unknown
  /** Registers the vendor routes. */
  routes: (app: FastifyInstance, recordOf: (request: FastifyRequest) => RecordedRequest | undefined) => void
}

export async function startStandIn(options: StandInOptions): Promise<StandIn & { app: FastifyInstance }> {
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 64 * 1024 * 1024 })
  const script = new Script()
  const received: RecordedRequest[] = []
  const records = new WeakMap<FastifyRequest, RecordedRequest>()
  const waiters = new Set<() => void>()

  // Keep bodies as raw bytes: stand-ins verify signatures over them and decode gzip/JSON themselves,
  // so they can answer malformed bodies the way the vendor does.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))

  app.addHook('preHandler', async (request, reply) => {
    const record: RecordedRequest = {
      index: received.length,
      method: request.method,
      url: request.url,
      headers: request.headers,
      rawBody: bodyBytes(request),
      receivedAt: Date.now(),
      receivedAtMono: performance.now(),
    }
    received.push(record)
    records.set(request, record)
    for (const wake of waiters) wake()

    const fault = script.take(record.receivedAt)
    if (!fault) return
    record.fault = fault.kind
    switch (fault.kind) {
      case 'delay':
        await sleep(fault.ms)
        return
      case 'hang':
        reply.hijack()
        await new Promise<never>(() => {})
        return
      case 'reset':
        reply.hijack()
        request.raw.socket.destroy()
        await new Promise<never>(() => {})
        return
      case 'status':
        sendFault(reply, fault.status, fault.options, options.faultBody)
        return reply
    }
  })

  app.addHook('onResponse', async (request, reply) => {
    const record = records.get(request)
    if (record) {
      record.status = reply.statusCode
      record.respondedAtMono = performance.now()
    }
  })

  options.routes(app, (request) => records.get(request))

  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('stand-in did not bind a TCP port')

  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    received,
    script,
    waitForRequests(n, timeoutMs = 5000) {
      if (received.length >= n) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`stand-in received ${received.length} of ${n} requests within ${timeoutMs} ms`))
        }, timeoutMs)
        const check = () => {
          if (received.length < n) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve()
        }
        waiters.add(check)
      })
    },
    async close() {
      script.clear()
      await app.close()
    },
  }
}

function sendFault(
  reply: FastifyReply,
  status: number,
  failOptions: FailOptions,
  defaultBody: ((status: number) => unknown) | undefined,
): void {
  if (failOptions.retryAfter !== undefined) reply.header('retry-after', String(failOptions.retryAfter))
  for (const [name, value] of Object.entries(failOptions.headers ?? {})) reply.header(name, value)
  const body = failOptions.body ?? defaultBody?.(status) ?? { error: `scripted ${status}` }
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    reply.code(status).send(body)
  } else {
    reply.code(status).type('application/json').send(JSON.stringify(body))
  }
}

/** The request body as received: stand-ins parse every content type as raw bytes. */
function bodyBytes(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
}

/** JSON.parse of a body that reports failure instead of throwing. */
function parseJson(buf: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(buf.toString('utf8')) }
  } catch {
    return { ok: false }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The Content-Encoding of a request, lowercased; `identity` when absent. */
function contentEncoding(headers: IncomingHttpHeaders): string {
  return String(headers['content-encoding'] ?? 'identity').toLowerCase()
}

export type DecodedBody =
  | { ok: true; body: Buffer }
  | { ok: false; problem: 'unsupported encoding' | 'undecodable' | 'too large' }

/**
 * A request body as it was before its Content-Encoding (gzip, deflate or identity), or why it cannot be had:
 * another encoding, bytes that do not decode, or more than `maxBytes` once decoded (decoding stops there).
 * Each stand-in answers these the way its vendor does.
 */
function decodeBody(raw: Buffer, encoding: string, maxBytes = Number.POSITIVE_INFINITY): DecodedBody {
  const limit = Number.isFinite(maxBytes) ? { maxOutputLength: maxBytes + 1 } : {}
  let body: Buffer
  try {
    if (encoding === 'gzip') body = gunzipSync(raw, limit)
    else if (encoding === 'deflate') body = inflateSync(raw, limit)
    else if (encoding === 'identity') body = raw
    else return { ok: false, problem: 'unsupported encoding' }
  } catch (error) {
    const tooLarge = (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
    return { ok: false, problem: tooLarge ? 'too large' : 'undecodable' }
  }
  return body.length > maxBytes ? { ok: false, problem: 'too large' } : { ok: true, body }
}

/** The media type of a Content-Type header, lowercased, without parameters. */
function mediaType(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header
  return (value ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
}

/**
 * How stand-ins read a request, as one import: every vendor module needs most of these, and a single name
 * keeps each module's head to its vendor's contract.
 */
export const kit = { bodyBytes, parseJson, isRecord, contentEncoding, decodeBody, mediaType }
