import type { FastifyInstance } from 'fastify'
import { type ParseError, printParseErrorCode, parse as scan } from 'jsonc-parser'
import { codes } from '../errors.ts'

/**
 * JSON.parse on the hot path. Only when it fails, a strict scan with jsonc-parser finds the offset, since
 * V8's messages carry one only for some errors.
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    const errors: ParseError[] = []
    scan(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false })
    const first = errors[0]
    const offset = first?.offset ?? text.length
    const before = text.slice(0, offset)
    const line = before.split('\n').length
    const detail = first ? printParseErrorCode(first.error) : (err as Error).message
    // A 400 that says where the JSON broke.
    throw new codes.FW_ERR_INGEST_MALFORMED_JSON(line, offset - before.lastIndexOf('\n'), detail)
  }
}

/**
 * The ingest's body parsing: a string body, JSON or text/plain (what navigator.sendBeacon sends for a
 * string), parsed by parseJson; `onBody` sees each body's size. The benchmark's ceiling server registers the same.
 */
export function parseJsonBodies(app: FastifyInstance, onBody?: (bytes: number) => void): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => {
    onBody?.(Buffer.byteLength(body as string))
    try {
      done(null, parseJson(body as string))
    } catch (err) {
      done(err as Error, undefined)
    }
  })
}
