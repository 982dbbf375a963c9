import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { connectorTypes } from '../../connectors/index.ts'
import { editorSchema } from '../../src/config/docs/editor-schema.ts'
import { generatedFiles } from '../../src/config/docs/generated-files.ts'

const root = join(import.meta.dirname, '..', '..')

describe('generated docs', () => {
  it.each(generatedFiles(root).map((file) => [file.path, file.content]))(
    '%s is up to date',
    (path, content) => {
      const committed = readFileSync(join(root, path), 'utf8')
      expect(committed === content, `${path} is out of date: run npm run docs:generate`).toBe(true)
    },
  )
})

describe('framewire.schema.json', () => {
  // What an editor does: plain validation, no defaults, no coercion, the ${VAR} references left as written.
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true })
  addFormats.default(ajv)
  const validate = ajv.compile(editorSchema(connectorTypes))
  const config = (connector: Record<string, unknown>) => ({
    sources: [{ name: 'web', write_key: '${WEB_WRITE_KEY}' }],
    connectors: [{ name: 'c', ...connector }],
  })
  const errorsOf = (value: unknown) => {
    validate(value)
    return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`)
  }

  it.each(generatedFiles(root).filter((f) => f.path.startsWith('examples/')))(
    'accepts $path',
    ({ content }) => {
      expect(errorsOf(parse(content))).toEqual([])
    },
  )

  it("checks each connector's settings against its type", () => {
    expect(errorsOf(config({ type: 'webhook', settings: { url: 'https://h.example.com' } }))).toEqual([])
    expect(
      errorsOf(config({ type: 'webhook', settings: { url: '${HOOK_URL}', max_events: '${N:-5}' } })),
    ).toEqual([])
    expect(errorsOf(config({ type: 'webhook', settings: {} }))).toContain(
      "/connectors/0/settings must have required property 'url'",
    )
    expect(errorsOf(config({ type: 'webhook' }))).toContain(
      "/connectors/0 must have required property 'settings'",
    )
    expect(errorsOf(config({ type: 'webhook', settings: { url: 'https://h', surprise: 1 } }))).toContain(
      '/connectors/0/settings must NOT have additional properties',
    )
    // The same settings are fine for a type that has them.
    expect(errorsOf(config({ type: 'amplitude', settings: { api_key: 'k', region: 'eu' } }))).toEqual([])
    expect(
      errorsOf(config({ type: 'amplitude', settings: { api_key: 'k', region: 'mars' } })).length,
    ).toBeGreaterThan(0)
    expect(errorsOf(config({ type: 'amplitud', settings: {} })).join()).toContain('/connectors/0/type')
  })
})
