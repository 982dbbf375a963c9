import type { FastifyReply, FastifyRequest } from 'fastify'
import type { SourceConfig } from '../config/types.ts'

/** Looks up sources by write key; replaced whole when the config reloads. */
export class SourceRegistry {
  private byKey: Map<string, SourceConfig>

  constructor(sources: SourceConfig[]) {
    this.byKey = new Map(sources.map((s) => [s.write_key, s]))
  }

  replace(sources: SourceConfig[]) {
    this.byKey = new Map(sources.map((s) => [s.write_key, s]))
  }

  find(writeKey: string | undefined): SourceConfig | undefined {
    return writeKey ? this.byKey.get(writeKey) : undefined
  }

  anyAllows(origin: string): boolean {
    for (const s of this.byKey.values()) if (originAllowed(s, origin)) return true
    return false
  }
}

export function originAllowed(source: SourceConfig, origin: string | undefined): boolean {
  // Server-side senders and sendBeacon from the same origin send no Origin header.
  if (origin === undefined) return true
  return source.allowed_origins.includes('*') || source.allowed_origins.includes(origin)
}

/** The write key from `Authorization: Bearer`, `X-Framewire-Key`, or `?key=` (sendBeacon cannot set headers). */
export function writeKeyOf(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim()
  const header = request.headers['x-framewire-key']
  if (typeof header === 'string') return header
  const query = (request.query as Record<string, unknown> | undefined)?.key
  return typeof query === 'string' ? query : undefined
}

/** Echoes only an allowed origin, never "*", because sendBeacon with a Blob sends credentials. */
export function allowOrigin(reply: FastifyReply, origin: string) {
  reply.header('access-control-allow-origin', origin)
  reply.header('access-control-allow-credentials', 'true')
  reply.header('vary', 'Origin')
}

export function answerPreflight(reply: FastifyReply, origin: string) {
  allowOrigin(reply, origin)
  reply.header('access-control-allow-methods', 'POST, OPTIONS')
  reply.header(
    'access-control-allow-headers',
    'content-type, content-encoding, authorization, x-framewire-key',
  )
  reply.header('access-control-max-age', '600')
  return reply.code(204).send()
}
