import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { describe, expect, it } from 'vitest'
import { connectorTypes } from './index.ts'

/** The same ajv options the config loader uses (src/config/load.ts), strict types included. */
function compile(schema: Record<string, unknown>) {
  const ajv = new Ajv2020({
    allErrors: true,
    useDefaults: true,
    coerceTypes: true,
    strict: true,
    strictTypes: true,
    allowUnionTypes: true,
  })
  addFormats.default(ajv)
  return ajv.compile(schema)
}

const minimal: Record<string, Record<string, unknown>> = {
  amplitude: { api_key: 'k' },
  bigquery: { project_id: 'p', dataset: 'd', table: 't' },
  datadog: { api_key: 'k' },
  elasticsearch: { url: 'https://es.example.com:9200' },
  file: { path: 'framewire-data/events.ndjson' },
  firehose: { region: 'eu-west-1', delivery_stream_name: 'events' },
  ga4: { measurement_id: 'G-ABC123', api_secret: 's' },
  heap: { app_id: '123' },
  kafka: { brokers: ['k:9092'], topic: 't' },
  kinesis: { region: 'eu-west-1', stream_name: 'events' },
  mixpanel: { project_id: '123', service_account_username: 'u', service_account_secret: 's' },
  newrelic: { account_id: '1', api_key: 'k' },
  opensearch: { url: 'https://os.example.com:9200' },
  postgres: { connection_string: 'postgres://u@h/db' },
  pubsub: { project_id: 'p', topic: 'events' },
  s3: { region: 'eu-west-1', bucket: 'lake' },
  segment: { write_key: 'k' },
  splunk: { url: 'https://splunk.example.com:8088', token: 't' },
  webhook: { url: 'https://hooks.example.com/framewire' },
}

describe('connector registry', () => {
  it('lists every connector under its own type, each with minimal test settings', () => {
    expect(Object.keys(connectorTypes).sort()).toEqual(Object.keys(minimal).sort())
    for (const [type, connector] of Object.entries(connectorTypes)) expect(connector.type).toBe(type)
  })

  describe.each(Object.entries(connectorTypes))('%s settings schema', (type, connector) => {
    const schema = connector.settingsSchema as unknown as {
      additionalProperties: unknown
      properties: Record<string, { description?: string }>
    }

    it('closes the object and describes every field', () => {
      expect(schema.additionalProperties).toBe(false)
      for (const [name, property] of Object.entries(schema.properties)) {
        expect(name).toMatch(/^[a-z][a-z0-9_]*$/)
        expect(property.description, `${type}.${name}`).toBeTruthy()
      }
    })

    it('compiles strictly, fills defaults and refuses unknown keys', () => {
      const validate = compile(connector.settingsSchema)
      const settings = structuredClone(minimal[type] ?? {})
      expect(validate(settings), JSON.stringify(validate.errors)).toBe(true)
      // Defaults make the settings complete enough for limits().
      const limits = connector.limits(settings)
      expect(limits.maxItems).toBeGreaterThan(0)
      expect(limits.maxBytes).toBeGreaterThan(0)
      expect(validate({ ...minimal[type], surprise: true })).toBe(false)
      expect(validate({})).toBe(false)
    })
  })

  it('applies the documented defaults', () => {
    const amplitude = { api_key: 'k' }
    compile(connectorTypes.amplitude?.settingsSchema ?? {})(amplitude)
    expect(amplitude).toEqual({
      api_key: 'k',
      region: 'us',
      event_naming: 'title',
      min_id_length: 5,
      forward_client_ip: false,
    })
    const datadog = { api_key: 'k' }
    compile(connectorTypes.datadog?.settingsSchema ?? {})(datadog)
    expect(datadog).toMatchObject({
      site: 'datadoghq.com',
      compression: 'gzip',
      service: 'framewire',
      tags: [],
    })
    const webhook = { url: 'https://h.example.com/' }
    compile(connectorTypes.webhook?.settingsSchema ?? {})(webhook)
    expect(webhook).toMatchObject({
      headers: {},
      max_events: 500,
      max_body_bytes: 1_000_000,
    })
  })

  it('validates enums, URLs and secrets', () => {
    const amplitude = compile(connectorTypes.amplitude?.settingsSchema ?? {})
    expect(amplitude({ api_key: 'k', region: 'apac' })).toBe(false)
    const datadog = compile(connectorTypes.datadog?.settingsSchema ?? {})
    expect(datadog({ api_key: 'k', site: 'datadoghq.eu' })).toBe(true)
    expect(datadog({ api_key: 'k', site: 'example.com' })).toBe(false)
    expect(datadog({ api_key: 'k', tags: ['a,b'] })).toBe(false)
    const webhook = compile(connectorTypes.webhook?.settingsSchema ?? {})
    expect(webhook({ url: 'ftp://h.example.com/' })).toBe(false)
    expect(webhook({ url: 'https://h.example.com/', secret: 'hunter2' })).toBe(false)
    expect(
      webhook({ url: 'https://h.example.com/', secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}` }),
    ).toBe(true)
    expect(webhook({ url: 'https://h.example.com/', headers: { 'Bad Header': 'x' } })).toBe(false)
  })
})
