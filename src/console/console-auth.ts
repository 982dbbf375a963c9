import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** Set on the first authorised page load, so the page's own requests (assets, stream) need no token. */
export const CONSOLE_COOKIE = 'fw_console'

/** The configured token, or a fresh random one when the config leaves it empty. */
export function consoleToken(configured: string): { token: string; generated: boolean } {
  if (configured !== '') return { token: configured, generated: false }
  return { token: randomBytes(24).toString('base64url'), generated: true }
}

/** Compares digests, so neither the content nor the length of the token leaks through timing. */
export function tokenMatches(presented: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest()
  return timingSafeEqual(digest(presented), digest(expected))
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [key, ...value] = part.trim().split('=')
    if (key === name) return decodeURIComponent(value.join('='))
  }
  return undefined
}

/** The token of a request: `?token=` (links, curl) or the console cookie (the page's own requests). */
export function presentedToken(request: FastifyRequest): { token: string; fromQuery: boolean } | undefined {
  const query = (request.query as { token?: unknown }).token
  if (typeof query === 'string') return { token: query, fromQuery: true }
  const cookie = cookieValue(request.headers.cookie, CONSOLE_COOKIE)
  return cookie === undefined ? undefined : { token: cookie, fromQuery: false }
}

/** HttpOnly: page scripts never read it; Strict: other sites' requests never carry it. */
export function setConsoleCookie(reply: FastifyReply, token: string): void {
  reply.header(
    'set-cookie',
    `${CONSOLE_COOKIE}=${encodeURIComponent(token)}; Path=/console; HttpOnly; SameSite=Strict`,
  )
}
