import { gunzipSync } from 'node:zlib'
import type { ConnectorConfig } from '../config/types.ts'
import type { EnrichedEvent } from '../event.ts'
import { compilePipeline } from '../pipeline/compile-pipeline.ts'
import type { StageName } from '../pipeline/stages.ts'
import { type HttpCall, type SdkCall, SKIP } from '../worker/connector.ts'
import type { AnyConnector } from '../worker/connector-worker.ts'

const SECRET_KEY = /key|secret|token|password|credential/i
/** Headers that carry credentials in encoded forms (Basic auth, signatures), masked whole. */
const SECRET_HEADER =
  /^(authorization|proxy-authorization|x-api-key|api-key|dd-api-key|x-amz-security-token|x-splunk-request-channel)$/

interface SchemaNode {
  writeOnly?: boolean
  properties?: Record<string, SchemaNode>
  additionalProperties?: SchemaNode | boolean
}

/**
 * Every secret string in the settings, so it can be masked wherever it appears in a request: values under a
 * key that names a secret, and values the settings schema marks `writeOnly` (AuthHeaders, Tls.key).
 */
function secretsOf(settings: unknown, schema: SchemaNode | undefined, key = '', secret = false): string[] {
  const isSecret = secret || schema?.writeOnly === true || SECRET_KEY.test(key)
  if (typeof settings === 'string') return isSecret && settings.length >= 4 ? [settings] : []
  if (settings && typeof settings === 'object') {
    const other = typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined
    return Object.entries(settings).flatMap(([k, v]) =>
      secretsOf(v, schema?.properties?.[k] ?? other, k, isSecret),
    )
  }
  return []
}

function bodyText(body: string | Buffer, encoding: string | undefined): string {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body
  return encoding === 'gzip' ? `${gunzipSync(bytes).toString()}\n(sent gzip-compressed)` : bytes.toString()
}

/** A planned call as printable text, secrets masked. */
export interface PreviewedCall {
  /** `POST https://…`, or `@aws-sdk/client-kinesis PutRecords → stream` for SDK calls. */
  title: string
  headers: Record<string, string>
  body: string
}

export type Preview =
  | { calls: PreviewedCall[] }
  | { droppedBy: StageName | 'transform' }
  | { refused: string }

/**
 * Runs a connector's pipeline (routing, filters, sampling, privacy, mapping), transform and `plan` for one
 * event, and returns the calls it would make with secrets masked. Nothing is opened, sent or written:
 * `plan` is the connector's I/O-free request builder.
 */
export async function previewRequests(
  connector: AnyConnector,
  config: ConnectorConfig,
  raw: EnrichedEvent,
  sourceNames: readonly string[],
): Promise<Preview> {
  let droppedBy: StageName | undefined
  const event = compilePipeline(config, { sourceNames }).run(raw, (stage) => {
    droppedBy = stage
  })
  if (!event) return { droppedBy: droppedBy ?? 'routing' }
  const settings = config.settings as never
  const record = connector.transform(event, settings)
  if (record === SKIP) return { droppedBy: 'transform' }
  const planned = await connector.plan([{ record, event, dedupeKey: event.event_id }], settings)
  const refusal = planned.find((call) => call.kind === 'refused')
  if (refusal?.kind === 'refused') return { refused: refusal.reason }
  const secrets = secretsOf(config.settings, connector.settingsSchema as SchemaNode)
  const mask = (text: string) => secrets.reduce((out, s) => out.replaceAll(s, '***'), text)
  return { calls: planned.flatMap((call) => (call.kind === 'refused' ? [] : [printable(call, mask)])) }
}

function printable(call: HttpCall | SdkCall, mask: (text: string) => string): PreviewedCall {
  if (call.kind === 'sdk') {
    return {
      title: mask(`${call.client} ${call.operation} → ${call.target}`),
      headers: {},
      body: mask(JSON.stringify(call.params, null, 2)),
    }
  }
  const headers = Object.fromEntries(
    Object.entries(call.headers).map(([k, v]) => {
      const name = k.toLowerCase()
      return [name, SECRET_HEADER.test(name) ? '***' : mask(v)]
    }),
  )
  return {
    title: mask(`${call.method} ${call.url}`),
    headers,
    body: mask(bodyText(call.body, headers['content-encoding'])),
  }
}
