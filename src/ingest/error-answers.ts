import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
} from 'fastify'
import { codes, errorBody, type FramewireError, isFramewireError } from '../errors.ts'

export interface ErrorAnswerOptions {
  /** The server's bodyLimit, which the 413 names. */
  bodyLimitBytes: number
  /** Told of every error answer once it is chosen, before it is sent. */
  onAnswer?(request: FastifyRequest, error: FramewireError): void
}

type Translate = (error: FastifyError, request: FastifyRequest) => FramewireError

/** Fastify's own errors that a request can cause, in our words. */
const fromFastify = (bodyLimitBytes: number): Record<string, Translate> => ({
  FST_ERR_CTP_BODY_TOO_LARGE: () => new codes.FW_ERR_INGEST_BODY_TOO_LARGE(bodyLimitBytes),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new codes.FW_ERR_INGEST_MEDIA_TYPE(),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new codes.FW_ERR_INGEST_CONTENT_LENGTH(),
  FST_ERR_BAD_URL: (_error, request) => new codes.FW_ERR_BAD_URL(request.url),
})

/**
 * Makes every error answer of `app` a catalogue error in one shape, `{error, message, errors?}`, whatever
 * threw it: our code, Fastify (body limit, media type, URL), a plugin, or a bug (500, logged). 503s carry
 * Retry-After: the one under-pressure set, or 1 s. Pass `frameworkErrors` to Fastify() for the URL errors
 * it raises before routing.
 */
export function answerErrors(options: ErrorAnswerOptions): {
  frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']>
  install(app: FastifyInstance): void
} {
  const translations = fromFastify(options.bodyLimitBytes)
  const toCatalogue = (error: FastifyError, request: FastifyRequest): FramewireError => {
    if (isFramewireError(error)) return error
    const translate = translations[error.code]
    if (translate) return translate(error, request)
    const status = error.statusCode ?? 500
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed')
      return new codes.FW_ERR_INTERNAL()
    }
    // A client error from a plugin this table does not know yet: still answered, and logged to add it.
    request.log.warn({ err: error }, 'client error without a catalogue code')
    return new codes.FW_ERR_BAD_REQUEST(error.message)
  }
  const answer = (error: FramewireError, request: FastifyRequest, reply: FastifyReply) => {
    options.onAnswer?.(request, error)
    const status = error.statusCode ?? 500
    if (status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '1')
    return reply.code(status).send(errorBody(error))
  }
  return {
    frameworkErrors: (error, request, reply) => answer(toCatalogue(error, request), request, reply),
    install(app) {
      app.setErrorHandler<FastifyError>((error, request, reply) =>
        answer(toCatalogue(error, request), request, reply),
      )
      app.setNotFoundHandler((request, reply) =>
        answer(new codes.FW_ERR_NOT_FOUND(request.method, request.url.split('?')[0] ?? ''), request, reply),
      )
    },
  }
}
