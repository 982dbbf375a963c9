import createError, { type FastifyError } from '@fastify/error'

/**
 * Every error Framewire answers over HTTP or prints from the CLI, with a stable code, its HTTP status and a
 * message that says what to do. docs/errors.md lists them all (test/errors.test.ts keeps the two equal).
 * Built like Fastify's own lib/errors.js: `new codes.FW_ERR_X(args)` fills the message's %s and %d.
 */
export const codes = {
  // The ingest: POST /v1/events and its preflight.
  FW_ERR_INGEST_UNKNOWN_WRITE_KEY: createError<'FW_ERR_INGEST_UNKNOWN_WRITE_KEY', 401, []>(
    'FW_ERR_INGEST_UNKNOWN_WRITE_KEY',
    'send a valid write key in Authorization: Bearer, X-Framewire-Key, or ?key=',
    401,
  ),
  FW_ERR_INGEST_ORIGIN_NOT_ALLOWED: createError<'FW_ERR_INGEST_ORIGIN_NOT_ALLOWED', 403, [string, string]>(
    'FW_ERR_INGEST_ORIGIN_NOT_ALLOWED',
    'origin %s may not send to %s; the source needs it in its allowed_origins',
    403,
  ),
  FW_ERR_INGEST_MALFORMED_JSON: createError<'FW_ERR_INGEST_MALFORMED_JSON', 400, [number, number, string]>(
    'FW_ERR_INGEST_MALFORMED_JSON',
    'malformed JSON at line %d, column %d: %s; send one JSON object {"sent_at": ..., "events": [...]}',
    400,
  ),
  FW_ERR_INGEST_INVALID_ENVELOPE: createError<'FW_ERR_INGEST_INVALID_ENVELOPE', 400, []>(
    'FW_ERR_INGEST_INVALID_ENVELOPE',
    'the body is not a batch: send {"sent_at": <epoch ms>, "events": [<event>, ...]}; errors[] says what is wrong where',
    400,
  ),
  FW_ERR_INGEST_TOO_MANY_EVENTS: createError<'FW_ERR_INGEST_TOO_MANY_EVENTS', 413, [number, number]>(
    'FW_ERR_INGEST_TOO_MANY_EVENTS',
    '%d events; send at most %d per request',
    413,
  ),
  FW_ERR_INGEST_BODY_TOO_LARGE: createError<'FW_ERR_INGEST_BODY_TOO_LARGE', 413, [number]>(
    'FW_ERR_INGEST_BODY_TOO_LARGE',
    'the body is larger than %d bytes (after decompression); send fewer events per request',
    413,
  ),
  FW_ERR_INGEST_MEDIA_TYPE: createError<'FW_ERR_INGEST_MEDIA_TYPE', 415, []>(
    'FW_ERR_INGEST_MEDIA_TYPE',
    'content-type must be application/json or text/plain',
    415,
  ),
  FW_ERR_INGEST_ENCODING_UNSUPPORTED: createError<'FW_ERR_INGEST_ENCODING_UNSUPPORTED', 415, [string]>(
    'FW_ERR_INGEST_ENCODING_UNSUPPORTED',
    'content-encoding "%s" is not supported; use gzip, deflate or br, or send the body uncompressed',
    415,
  ),
  FW_ERR_INGEST_ENCODING_INVALID: createError<'FW_ERR_INGEST_ENCODING_INVALID', 400, [string, string]>(
    'FW_ERR_INGEST_ENCODING_INVALID',
    'the body is not valid %s: %s; compress the whole body with the encoding it names',
    400,
  ),
  FW_ERR_INGEST_CONTENT_LENGTH: createError<'FW_ERR_INGEST_CONTENT_LENGTH', 400, []>(
    'FW_ERR_INGEST_CONTENT_LENGTH',
    'the body is not as long as its Content-Length says; send the whole body with its exact length',
    400,
  ),
  FW_ERR_INGEST_BUS_TIMEOUT: createError<'FW_ERR_INGEST_BUS_TIMEOUT', 503, [number]>(
    'FW_ERR_INGEST_BUS_TIMEOUT',
    'the event log did not acknowledge within %d ms; nothing was accepted, retry after Retry-After seconds',
    503,
  ),
  FW_ERR_INGEST_BUS_UNAVAILABLE: createError<'FW_ERR_INGEST_BUS_UNAVAILABLE', 503, []>(
    'FW_ERR_INGEST_BUS_UNAVAILABLE',
    'the event log is unavailable; nothing was accepted, retry after Retry-After seconds',
    503,
  ),
  FW_ERR_INGEST_IN_FLIGHT: createError<'FW_ERR_INGEST_IN_FLIGHT', 503, [number]>(
    'FW_ERR_INGEST_IN_FLIGHT',
    '%d events are being written by another request; retry after Retry-After seconds to confirm them',
    503,
  ),
  FW_ERR_INGEST_OVERLOADED: createError<'FW_ERR_INGEST_OVERLOADED', 503, []>(
    'FW_ERR_INGEST_OVERLOADED',
    'this ingest node is overloaded; nothing was accepted, retry after Retry-After seconds',
    503,
  ),

  // Any route of the ingest's or the ops server.
  FW_ERR_NOT_FOUND: createError<'FW_ERR_NOT_FOUND', 404, [string, string]>(
    'FW_ERR_NOT_FOUND',
    'no route %s %s; events go to POST /v1/events',
    404,
  ),
  FW_ERR_BAD_URL: createError<'FW_ERR_BAD_URL', 400, [string]>(
    'FW_ERR_BAD_URL',
    "'%s' is not a valid URL; percent-encode it",
    400,
  ),
  FW_ERR_BAD_REQUEST: createError<'FW_ERR_BAD_REQUEST', 400, [string]>(
    'FW_ERR_BAD_REQUEST',
    'the request was refused: %s',
    400,
  ),
  FW_ERR_INTERNAL: createError<'FW_ERR_INTERNAL', 500, []>(
    'FW_ERR_INTERNAL',
    'the request failed on this node, which logged why; retry, and report it if it persists',
    500,
  ),

  // The console at /console.
  FW_ERR_CONSOLE_UNAUTHORIZED: createError<'FW_ERR_CONSOLE_UNAUTHORIZED', 401, []>(
    'FW_ERR_CONSOLE_UNAUTHORIZED',
    'the console needs its token: open /console?token=<console token>',
    401,
  ),
  FW_ERR_CONSOLE_NOT_BUILT: createError<'FW_ERR_CONSOLE_NOT_BUILT', 503, []>(
    'FW_ERR_CONSOLE_NOT_BUILT',
    'the console page was not built: run npm run build:console, then restart',
    503,
  ),

  // The trace route: GET /v1/events/:event_id/trace.
  FW_ERR_TRACE_UNAUTHORIZED: createError<'FW_ERR_TRACE_UNAUTHORIZED', 401, []>(
    'FW_ERR_TRACE_UNAUTHORIZED',
    'traces need the console token: send Authorization: Bearer <console token> (or open them from the console)',
    401,
  ),
  FW_ERR_TRACE_INVALID_EVENT_ID: createError<'FW_ERR_TRACE_INVALID_EVENT_ID', 400, [string]>(
    'FW_ERR_TRACE_INVALID_EVENT_ID',
    'event_id "%s" is not a UUID; ask for the trace of an event_id as the player sent it',
    400,
  ),
  FW_ERR_TRACE_SAMPLED_OUT: createError<'FW_ERR_TRACE_SAMPLED_OUT', 404, [string, string]>(
    'FW_ERR_TRACE_SAMPLED_OUT',
    'event %s is not traced: %s',
    404,
  ),
  FW_ERR_TRACE_NOT_FOUND: createError<'FW_ERR_TRACE_NOT_FOUND', 404, [string, string]>(
    'FW_ERR_TRACE_NOT_FOUND',
    'no trace stored for event %s, which sampling traces: %s',
    404,
  ),

  // The CLI: no HTTP status; `framewire` prints `<code>: <message>` and exits with CLI_EXIT_CODES or 1.
  FW_ERR_CLI_CONFIG_INVALID: createError<'FW_ERR_CLI_CONFIG_INVALID', [string]>(
    'FW_ERR_CLI_CONFIG_INVALID',
    'invalid config:\n%s',
  ),
  FW_ERR_CLI_FILE_UNREADABLE: createError<'FW_ERR_CLI_FILE_UNREADABLE', [string, string, string]>(
    'FW_ERR_CLI_FILE_UNREADABLE',
    'cannot read the %s %s (%s); check the path',
  ),
  FW_ERR_CLI_UNKNOWN_CONNECTOR: createError<'FW_ERR_CLI_UNKNOWN_CONNECTOR', [string, string, string]>(
    'FW_ERR_CLI_UNKNOWN_CONNECTOR',
    'no connector named "%s" in %s; its connectors: %s',
  ),
  FW_ERR_CLI_SAMPLE_NOT_JSON: createError<'FW_ERR_CLI_SAMPLE_NOT_JSON', [string, string]>(
    'FW_ERR_CLI_SAMPLE_NOT_JSON',
    'the sample event %s is not JSON (%s); collectors-schema/examples/ has one per event type',
  ),
  FW_ERR_CLI_SAMPLE_INVALID: createError<'FW_ERR_CLI_SAMPLE_INVALID', [string, string]>(
    'FW_ERR_CLI_SAMPLE_INVALID',
    'the sample event %s is invalid: %s; collectors-schema/examples/ has a valid one per event type',
  ),
  FW_ERR_CLI_INVALID_OPTION: createError<'FW_ERR_CLI_INVALID_OPTION', [string, string, string]>(
    'FW_ERR_CLI_INVALID_OPTION',
    '%s must be %s, not "%s"',
  ),
  FW_ERR_CLI_KAFKA_START_FAILED: createError<'FW_ERR_CLI_KAFKA_START_FAILED', [string]>(
    'FW_ERR_CLI_KAFKA_START_FAILED',
    'the local Kafka broker did not start: %s; free the port or pick another with --port',
  ),
  FW_ERR_CLI_TRACE_UNREACHABLE: createError<'FW_ERR_CLI_TRACE_UNREACHABLE', [string, string]>(
    'FW_ERR_CLI_TRACE_UNREACHABLE',
    'cannot reach the ingest at %s (%s); pass its address with --url or the config with -c',
  ),
  FW_ERR_CLI_TRACE_REFUSED: createError<'FW_ERR_CLI_TRACE_REFUSED', [string, string]>(
    'FW_ERR_CLI_TRACE_REFUSED',
    'the ingest answered %s: %s',
  ),
} as const

export type ErrorCode = keyof typeof codes

/** A catalogue error; `issues` say where, for answers that carry `errors: [{pointer, message}]`. */
export interface FramewireError extends FastifyError {
  code: ErrorCode
  issues?: readonly { pointer: string; message: string }[]
}

/** Exit status of the CLI errors that are not 1. */
export const CLI_EXIT_CODES: Partial<Record<ErrorCode, number>> = { FW_ERR_CLI_CONFIG_INVALID: 2 }

export function isFramewireError(error: unknown): error is FramewireError {
  return error instanceof Error && Object.hasOwn(codes, (error as { code?: unknown }).code as string)
}

/** Adds where the request went wrong, as JSON pointers into the body. */
export function withIssues(error: FramewireError, issues: FramewireError['issues']): FramewireError {
  return Object.assign(error, { issues })
}

/** The one shape of every HTTP error answer. */
export interface ErrorBody {
  error: ErrorCode
  message: string
  errors?: readonly { pointer: string; message: string }[]
}

export function errorBody(error: FramewireError): ErrorBody {
  return {
    error: error.code,
    message: error.message,
    ...(error.issues?.length ? { errors: error.issues } : {}),
  }
}
