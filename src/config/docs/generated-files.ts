import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { connectorTypes } from '../../../connectors/index.ts'
import { configSchema } from '../schema.ts'
import { editorSchema, type JsonSchema } from './editor-schema.ts'
import { keyTable, replaceBetweenMarkers } from './key-table.ts'

export interface GeneratedFile {
  /** Relative to the repository root. */
  path: string
  content: string
}

/** The first line of every file in examples/, so editors check and complete it. */
export const EXAMPLE_SCHEMA_LINE = '# yaml-language-server: $schema=../framewire.schema.json'

const json = (schema: object) => JSON.parse(JSON.stringify(schema)) as JsonSchema

/**
 * Every file generated from the schemas (`npm run docs:generate` writes them, a test compares them):
 * framewire.schema.json, the line pointing editors at it atop each example, each connector README's settings
 * table and the README's config key table.
 */
export function generatedFiles(root: string): GeneratedFile[] {
  const fromMarkers = (path: string, name: string, content: string): GeneratedFile => ({
    path,
    content: replaceBetweenMarkers(readFileSync(join(root, path), 'utf8'), name, content, path),
  })
  const examples = readdirSync(join(root, 'examples'))
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name): GeneratedFile => {
      const path = `examples/${name}`
      const text = readFileSync(join(root, path), 'utf8')
      const rest = text.startsWith(`${EXAMPLE_SCHEMA_LINE}\n`)
        ? text.slice(EXAMPLE_SCHEMA_LINE.length + 1)
        : text
      return { path, content: `${EXAMPLE_SCHEMA_LINE}\n${rest}` }
    })
  return [
    { path: 'framewire.schema.json', content: `${JSON.stringify(editorSchema(connectorTypes), null, 2)}\n` },
    ...examples,
    fromMarkers('README.md', 'config', keyTable(json(configSchema))),
    ...Object.entries(connectorTypes).map(([type, definition]) =>
      fromMarkers(`connectors/${type}/README.md`, 'settings', keyTable(json(definition.settingsSchema))),
    ),
  ]
}
