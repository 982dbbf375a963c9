import type { FastifyInstance, FastifyReply } from 'fastify'
import { codes } from '../errors.ts'
import { presentedToken, setConsoleCookie, tokenMatches } from './console-auth.ts'
import { BUNDLE_FILES, type Bundle, type BundleFile } from './console-bundle.ts'
import type { ConsoleHub } from './console-hub.ts'
import { parseFilter } from './filters.ts'

export interface ConsoleRouteDeps {
  token: string
  hub: ConsoleHub
  bundle: Bundle | undefined
}

/** The page's own files only: no inline script or style, no other origin, no framing. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  // The page URL may carry the token: never send it on.
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
}

/**
 * /console (the page), /console/app.js and /console/app.css (its bundle) and /console/stream (SSE).
 * Every one of them needs the token, as `?token=` or the cookie the first authorised load sets.
 */
export async function registerConsole(app: FastifyInstance, deps: ConsoleRouteDeps): Promise<void> {
  // Open streams would keep the server from closing.
  app.addHook('preClose', async () => deps.hub.closeAll())

  await app.register(
    async (scope) => {
      scope.addHook('onRequest', async (request, reply) => {
        const presented = presentedToken(request)
        if (!presented || !tokenMatches(presented.token, deps.token)) {
          throw new codes.FW_ERR_CONSOLE_UNAUTHORIZED()
        }
        if (presented.fromQuery) setConsoleCookie(reply, presented.token)
      })

      const serve = (name: BundleFile) => async (_request: unknown, reply: FastifyReply) => {
        if (!deps.bundle) throw new codes.FW_ERR_CONSOLE_NOT_BUILT()
        return reply.headers(SECURITY_HEADERS).type(BUNDLE_FILES[name]).send(deps.bundle[name])
      }
      scope.get('', serve('index.html'))
      scope.get('/app.js', serve('app.js'))
      scope.get('/app.css', serve('app.css'))

      // No HEAD twin: it would hold a stream open that can carry nothing.
      scope.get('/stream', { exposeHeadRoute: false }, (request, reply) => {
        reply.hijack()
        reply.raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          // Reverse proxies such as nginx would otherwise buffer the stream.
          'x-accel-buffering': 'no',
        })
        const end = deps.hub.open(reply.raw, parseFilter(request.query as Record<string, unknown>))
        // The response's close, not the request's: a GET request counts as closed once it has been read.
        reply.raw.on('close', end)
      })
    },
    { prefix: '/console' },
  )
}
