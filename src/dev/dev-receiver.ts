import { timingSafeEqual } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { signatureHeader, signingKey } from '../../connectors/webhook/signing.ts'

/**
 * The local endpoint `framewire dev` starts for the example config's webhook connector: it checks each
 * request's Standard Webhooks signature against the configured secret (401 when it does not match, as a real
 * receiver would) and answers 204, counting what arrived.
 */

export interface DevReceiver {
  /** The URL to POST to (path /hook). */
  url: string
  /** Accepts signatures made with this `whsec_` secret; while none is trusted, requests are not checked. */
  trust(secret: string): void
  readonly counts: { requests: number; events: number; refused: number }
  close(): Promise<void>
}

/** Standard Webhooks' suggested tolerance for webhook-timestamp. */
const TOLERANCE_SECONDS = 300
const PATH = '/hook'

export async function startDevReceiver(options: {
  host: string
  port: number
  log: Logger
}): Promise<DevReceiver> {
  const keys: Buffer[] = []
  const counts = { requests: 0, events: 0, refused: 0 }

  const server = createServer(async (req, res) => {
    if (req.method !== 'POST' || req.url !== PATH) {
      res.writeHead(404).end()
      return
    }
    const body = await readBody(req)
    const problem = keys.length > 0 ? signatureProblem(req, body, keys) : undefined
    if (problem) {
      counts.refused++
      options.log.warn({ problem }, 'dev receiver: refused a webhook request')
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: problem }))
      return
    }
    const events = eventCount(body)
    if (events === undefined) {
      res.writeHead(400).end()
      return
    }
    counts.requests++
    counts.events += events
    res.writeHead(204).end()
  })
  server.listen(options.port, options.host)
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo

  return {
    url: `http://${options.host}:${port}${PATH}`,
    trust: (secret) => keys.push(signingKey(secret)),
    counts,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function eventCount(body: string): number | undefined {
  try {
    const parsed = JSON.parse(body) as { events?: unknown }
    return Array.isArray(parsed.events) ? parsed.events.length : undefined
  } catch {
    return undefined
  }
}

/** Why the request's signature is not acceptable, or undefined when one of its v1 signatures matches. */
function signatureProblem(req: IncomingMessage, body: string, keys: Buffer[]): string | undefined {
  const id = req.headers['webhook-id']
  const timestamp = Number(req.headers['webhook-timestamp'])
  const signatures = req.headers['webhook-signature']
  if (typeof id !== 'string' || typeof signatures !== 'string' || !Number.isInteger(timestamp))
    return 'missing webhook-id, webhook-timestamp or webhook-signature'
  if (Math.abs(Date.now() / 1000 - timestamp) > TOLERANCE_SECONDS) return 'webhook-timestamp too far from now'
  const given = signatures.split(' ').map((entry) => Buffer.from(entry))
  for (const key of keys) {
    const expected = Buffer.from(signatureHeader(key, id, timestamp, body))
    if (given.some((g) => g.length === expected.length && timingSafeEqual(g, expected))) return undefined
  }
  return 'no signature matches the configured secret'
}
