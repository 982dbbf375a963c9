import { readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import type { TlsSettings } from './blocks.ts'

const PEM = /^\s*-----BEGIN /

/** PEM text as it is, or the content of the file it names. */
export function pemOf(value: string): string {
  return PEM.test(value) ? value : readFileSync(value, 'utf8')
}

/**
 * Node's TLS options (tls.connect, undici `connect`, most SDKs' agents) for a `Tls` settings block.
 * Reads the files it names, so call it when the connector opens: a missing file fails the start.
 */
export function tlsConnectOptions(tls: TlsSettings | undefined): ConnectionOptions {
  if (!tls) return {}
  const options: ConnectionOptions = { rejectUnauthorized: tls.reject_unauthorized }
  if (tls.ca !== undefined) options.ca = pemOf(tls.ca)
  if (tls.cert !== undefined) options.cert = pemOf(tls.cert)
  if (tls.key !== undefined) options.key = pemOf(tls.key)
  if (tls.servername !== undefined) options.servername = tls.servername
  return options
}
