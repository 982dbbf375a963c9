import { promisify } from 'node:util'
import { deflate as deflateCallback, gzip as gzipCallback } from 'node:zlib'

const gzip = promisify(gzipCallback)
const deflate = promisify(deflateCallback)

/** A connector's `compression` setting; the same name goes in Content-Encoding (none for 'none'). */
export type Compression = 'gzip' | 'deflate' | 'none'

/** The request body encoded as `compression` says. */
export async function compress(text: string, compression: Compression): Promise<string | Buffer> {
  if (compression === 'gzip') return gzip(text)
  if (compression === 'deflate') return deflate(text)
  return text
}
