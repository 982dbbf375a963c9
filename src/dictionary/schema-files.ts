import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * Loads the data dictionary (collectors-schema/) from disk. The validator compiles these documents once at
 * start-up; other features (warehouse table schemas, the console) reuse the same documents so there is a
 * single source of truth.
 */

/** Directory holding the schema files, resolved relative to this module. */
export const SCHEMA_DIR = fileURLToPath(new URL('../../collectors-schema/', import.meta.url))

/** Prefix of every `$id` of the v1 dictionary. */
export const SCHEMA_BASE_ID = 'https://framewire.dev/schemas/v1/'
export const ENVELOPE_SCHEMA_ID = `${SCHEMA_BASE_ID}envelope.json`
export const BASE_SCHEMA_ID = `${SCHEMA_BASE_ID}common/base.json`

/** Custom annotation keyword: which data segment an event type or context group belongs to. */
export const SEGMENT_KEYWORD = 'x-framewire-segment'
export const SEGMENTS = ['qos', 'business'] as const
export type Segment = (typeof SEGMENTS)[number]

export type SchemaKind = 'envelope' | 'common' | 'context' | 'event'

export interface SchemaDocument {
  /** Path relative to collectors-schema/, e.g. `events/buffer_start.json`. */
  path: string
  kind: SchemaKind
  /** File name without `.json`: the event type for events, the group name for context groups. */
  name: string
  /** The document's `$id`. */
  id: string
  /** `x-framewire-segment` of an event type or context group; undefined for envelope and common files. */
  segment: Segment | undefined
  /** The parsed JSON Schema document (a fresh copy on every call). */
  schema: Record<string, unknown>
}

const KIND_DIRS: ReadonlyArray<readonly [string, SchemaKind]> = [
  ['common', 'common'],
  ['context', 'context'],
  ['events', 'event'],
]

function readJson(path: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'))
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${path}: expected a JSON object`)
  }
  return parsed as Record<string, unknown>
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
}

function toDocument(path: string, kind: SchemaKind, schemaDir: string): SchemaDocument {
  const schema = readJson(`${schemaDir}${path}`)
  const id = schema.$id
  if (typeof id !== 'string' || !id.startsWith(SCHEMA_BASE_ID)) {
    throw new Error(`collectors-schema/${path}: $id must start with ${SCHEMA_BASE_ID}`)
  }
  if (id !== `${SCHEMA_BASE_ID}${path}`) {
    throw new Error(`collectors-schema/${path}: $id ${id} does not match the file location`)
  }
  const segment = schema[SEGMENT_KEYWORD]
  if (segment !== undefined && !SEGMENTS.includes(segment as Segment)) {
    throw new Error(`collectors-schema/${path}: ${SEGMENT_KEYWORD} must be one of ${SEGMENTS.join(', ')}`)
  }
  const name = path.slice(path.lastIndexOf('/') + 1, -'.json'.length)
  return { path, kind, name, id, segment: segment as Segment | undefined, schema }
}

/** Reads every schema document (envelope, common, context groups, events), sorted by kind then name. */
export function loadSchemaDocuments(schemaDir: string = SCHEMA_DIR): SchemaDocument[] {
  const docs = [toDocument('envelope.json', 'envelope', schemaDir)]
  for (const [dir, kind] of KIND_DIRS) {
    for (const file of jsonFiles(`${schemaDir}${dir}/`))
      docs.push(toDocument(`${dir}/${file}`, kind, schemaDir))
  }
  return docs
}

/**
 * Reads the example events in collectors-schema/examples/, keyed by file name (one valid example per
 * event type, named after the type). They document the dictionary and serve as test fixtures.
 */
export function loadExampleEvents(schemaDir: string = SCHEMA_DIR): Map<string, Record<string, unknown>> {
  const examples = new Map<string, Record<string, unknown>>()
  for (const file of jsonFiles(`${schemaDir}examples/`)) {
    examples.set(file.slice(0, -'.json'.length), readJson(`${schemaDir}examples/${file}`))
  }
  return examples
}
