/**
 * Schema blocks declared once and used in several places: the runtime blocks of every connector entry
 * (batching, retry, circuit_breaker) and the building blocks connectors use for their own `settings`.
 * Every property has a description: the generated JSON Schema and README tables show them.
 */

import { type SchemaOptions, type Static, type StringOptions, type TUnsafe, Type } from '@sinclair/typebox'
import { Default } from './defaults.ts'

/** An integer ≥ 1. */
export const PositiveInt = (description: string, options: { maximum?: number } = {}) =>
  Type.Integer({ minimum: 1, ...options, description })

/**
 * A string among `values`, as a JSON Schema `enum` (one "must be one of" error, and editors complete it),
 * typed as the union of the values.
 */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: string | SchemaOptions,
): TUnsafe<T[number]> {
  const rest = typeof options === 'string' ? { description: options } : options
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...rest })
}

/** An http:// or https:// URL: an endpoint, or a base URL a path is appended to. */
export const HttpUrl = (description: string, options: StringOptions = {}) =>
  Type.String({ format: 'uri', pattern: '^https?://', ...options, description })

const pemOrFile = (what: string) =>
  `${what}: PEM text (starting with -----BEGIN, e.g. from \${VAR} or a YAML block) or the path of a PEM file.`

/**
 * TLS options of a client connection. `ca`, `cert` and `key` each take PEM text or a file path (text that
 * starts with "-----BEGIN" is PEM); tlsConnectOptions (tls-options.ts) turns them into Node's options.
 */
export const Tls = Type.Object(
  {
    ca: Type.Optional(
      Type.String({
        minLength: 1,
        description: pemOrFile(
          'CA certificates to trust instead of the Node.js defaults (a private CA, a self-signed server)',
        ),
      }),
    ),
    cert: Type.Optional(
      Type.String({ minLength: 1, description: pemOrFile('Client certificate for mutual TLS (with key)') }),
    ),
    key: Type.Optional(
      Type.String({
        minLength: 1,
        writeOnly: true,
        description: pemOrFile('Private key of the client certificate (with cert); a secret'),
      }),
    ),
    reject_unauthorized: Default(
      Type.Boolean({
        description: 'Refuse servers whose certificate does not verify. Turn off only against a test server.',
      }),
      true,
    ),
    servername: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Server name sent in SNI and checked against the certificate, when it differs from the host.',
      }),
    ),
  },
  {
    additionalProperties: false,
    dependentRequired: { cert: ['key'], key: ['cert'] },
    description: 'TLS of the connection: trusted CAs, a client certificate, server name.',
  },
)
export type TlsSettings = Static<typeof Tls>

/** RFC 9110 token characters: what a header name may contain. */
const HEADER_NAME = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"

/**
 * Extra request headers, e.g. `Authorization: Bearer ${TOKEN}`. Values are treated as secrets (`writeOnly`):
 * `framewire config test` masks them and the logger redacts every settings value.
 */
export const AuthHeaders = Type.Unsafe<Record<string, string>>({
  type: 'object',
  propertyNames: { pattern: HEADER_NAME },
  additionalProperties: { type: 'string' },
  writeOnly: true,
  description:
    'Extra request headers, e.g. Authorization: "Bearer ${TOKEN}". Values are secrets: masked by ' +
    'framewire config test, never logged.',
})

export const Batching = Type.Object(
  {
    max_items: Type.Optional(PositiveInt('Items per request (capped by the vendor limit).')),
    max_bytes: Type.Optional(PositiveInt('Bytes per request (capped by the vendor limit).')),
    linger_ms: Default(
      Type.Integer({ minimum: 0, maximum: 50, description: 'Longest wait for a batch to fill.' }),
      20,
    ),
    max_in_flight: Default(PositiveInt('Concurrent requests.'), 4),
  },
  { additionalProperties: false, description: 'Batching, within the vendor limits.' },
)

export const Retry = Type.Object(
  {
    max_attempts: Default(PositiveInt('Attempts per record.'), 100),
    max_elapsed_ms: Default(PositiveInt('Retry window per record.'), 3_600_000),
    initial_backoff_ms: Default(PositiveInt('First backoff ceiling.'), 100),
    max_backoff_ms: Default(PositiveInt('Largest backoff ceiling.'), 30_000),
    request_timeout_ms: Default(PositiveInt('One request’s deadline.'), 10_000),
  },
  { additionalProperties: false, description: 'Retries before a record is dead-lettered.' },
)

export const CircuitBreaker = Type.Object(
  {
    failure_threshold: Default(PositiveInt('Failed batches in a row to open.'), 5),
    open_ms: Default(PositiveInt('Time open before a probe.'), 5000),
  },
  { additionalProperties: false, description: 'Pauses consumption while the destination keeps failing.' },
)
