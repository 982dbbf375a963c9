import { type Dispatcher, request } from 'undici'
import { readBody } from '../../src/worker/http-outcome.ts'

export interface PostRequest {
  headers: Record<string, string>
  body: string | Buffer
  /** How much of the response body to read (default 64 KiB): enough for any vendor's error details. */
  maxResponseBytes?: number
}

export interface PostResponse {
  statusCode: number
  headers: Dispatcher.ResponseData['headers']
  /** The response body as UTF-8 text, cut at `maxResponseBytes`. */
  text: string
}

/**
 * POSTs over the connector instance's keep-alive pool (`ctx.http`), given up when `ctx.signal` aborts, and
 * reads the answer. The body is always consumed or destroyed (readBody), so connections are never leaked.
 */
export async function post(
  url: string,
  { headers, body, maxResponseBytes = 64 * 1024 }: PostRequest,
  ctx: { http: Dispatcher; signal: AbortSignal },
): Promise<PostResponse> {
  const res = await request(url, { method: 'POST', headers, body, dispatcher: ctx.http, signal: ctx.signal })
  return {
    statusCode: res.statusCode,
    headers: res.headers,
    text: await readBody(res.body, maxResponseBytes),
  }
}
