import { gunzipSync } from 'node:zlib'
import { pino } from 'pino'
import { MockAgent } from 'undici'
import type { ConnectorConfig } from '../config/types.ts'
import type { EnrichedEvent } from '../event.ts'
import { compilePipeline } from '../pipeline/compile-pipeline.ts'
import type { StageName } from '../pipeline/stages.ts'
import { type Outcome, SKIP } from '../worker/connector.ts'
import type { AnyConnector } from '../worker/connector-worker.ts'

export interface PreviewedRequest {
  method: string
  url: string
  headers: Record<string, string>
  body: string
}

const SECRET_KEY = /key|secret|token|password|credential/i
/** Headers that carry credentials in encoded forms (Basic auth, signatures), masked whole. */
const SECRET_HEADER =
  /^(authorization|proxy-authorization|x-api-key|api-key|dd-api-key|x-amz-security-token)$/

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

function bodyText(body: unknown, encoding: string | undefined): string {
  if (body === undefined || body === null) return ''
  const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body as Uint8Array)
  return encoding === 'gzip' ? `${gunzipSync(bytes).toString()}\n(sent gzip-compressed)` : bytes.toString()
}

export type Preview =
  | { requests: PreviewedRequest[]; outcome: Outcome }
  | { droppedBy: StageName | 'transform' }

/**
 * Runs a connector's pipeline (routing, filters, sampling, privacy, mapping), transform and send for one
 * event against an HTTP dispatcher that answers every request itself, so nothing leaves the machine, and
 * returns the requests with secrets masked.
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
  const record = connector.transform(event, config.settings as never)
  if (record === SKIP) return { droppedBy: 'transform' }
  const secrets = secretsOf(config.settings, connector.settingsSchema as SchemaNode)
  const mask = (text: string) => secrets.reduce((out, s) => out.replaceAll(s, '***'), text)
  const requests: PreviewedRequest[] = []
  const agent = new MockAgent()
  agent.disableNetConnect()
  agent
    .get(() => true)
    .intercept({ path: () => true, method: () => true })
    .reply((opts) => {
      const headers = Object.fromEntries(
        Object.entries(opts.headers ?? {}).map(([k, v]) => [
          k.toLowerCase(),
          SECRET_HEADER.test(k.toLowerCase()) ? '***' : mask(String(v)),
        ]),
      )
      requests.push({
        method: opts.method,
        url: mask(`${opts.origin}${opts.path}`),
        headers,
        body: mask(bodyText(opts.body, headers['content-encoding'])),
      })
      return { statusCode: 200, data: '{}' }
    })
    .persist()
  const log = pino({ level: 'silent' })
  const resources = await connector.open?.(config.settings as never, { log, name: config.name })
  try {
    const [outcome] = await connector.send([{ record, event, dedupeKey: connector.dedupeKey(event) }], {
      settings: config.settings as never,
      resources,
      http: agent,
      signal: AbortSignal.timeout(5000),
      log,
      name: config.name,
    })
    return { requests, outcome: outcome ?? { kind: 'rejected', reason: 'the connector returned no outcome' } }
  } finally {
    await connector.close?.(resources)
    await agent.close()
  }
}
