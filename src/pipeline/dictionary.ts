import { closest } from '../config/did-you-mean.ts'
import {
  BASE_SCHEMA_ID,
  loadSchemaDocuments,
  type SchemaDocument,
  type Segment,
} from '../dictionary/schema-files.ts'
import type { Path } from './paths.ts'

/**
 * What the pipelines need to know about the data dictionary (collectors-schema/), computed once from
 * `loadSchemaDocuments()`: event types and context groups with their segment, each event type's payload
 * keys, and the tree of known field paths used to reject typos in the config at load time.
 */

/** Fields ingest adds to every event (src/ingest/enrich.ts, `EnrichedEvent` in src/event.ts). */
export const SERVER_FIELDS = [
  'received_at',
  'ts_corrected',
  'source',
  'ingest_node',
  'client_ip',
  'user_agent',
] as const

export interface FieldNode {
  /** Any key is valid below this node (the `custom` group, the custom event's `data`). */
  open: boolean
  children: Map<string, FieldNode>
}

export interface Dictionary {
  eventTypes: readonly string[]
  /** Segment of each event type. */
  eventSegment: ReadonlyMap<string, Segment>
  /** Segment of each context group (`player`, `content`…): top-level keys of an event. */
  groupSegment: ReadonlyMap<string, Segment>
  /** Top-level keys holding an event type's own data, e.g. heartbeat → [metrics], custom → [name, data]. */
  payloadKeys: ReadonlyMap<string, readonly string[]>
  /** The identity fields every event carries: event_id, type, ts, session_id, view_id, seq. */
  commonFields: readonly string[]
  serverFields: readonly string[]
  /** Every known field path, from the top of an event. */
  fields: FieldNode
}

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function emptyNode(): FieldNode {
  return { open: false, children: new Map() }
}

/** Builds the dictionary tables from schema documents (the default: collectors-schema/ on disk). */
export function buildDictionary(documents: SchemaDocument[] = loadSchemaDocuments()): Dictionary {
  const byId = new Map(documents.map((doc) => [doc.id, doc.schema]))
  const resolve = (ref: string, baseId: string): { schema: Json; id: string } | undefined => {
    const url = new URL(ref, baseId)
    const fragment = decodeURIComponent(url.hash.replace(/^#/, ''))
    url.hash = ''
    const id = url.toString()
    let node: unknown = byId.get(id)
    for (const part of fragment.split('/').slice(1)) node = isObject(node) ? node[part] : undefined
    return isObject(node) ? { schema: node, id } : undefined
  }

  /** Adds the properties a schema defines (following $ref) below `node`. */
  const addProperties = (node: FieldNode, schema: Json, id: string, depth = 0): void => {
    if (depth > 20) return
    if (typeof schema.$ref === 'string') {
      const target = resolve(schema.$ref, id)
      if (target) addProperties(node, target.schema, target.id, depth + 1)
    }
    const types = Array.isArray(schema.type) ? schema.type : [schema.type]
    if (types.includes('object') && schema.additionalProperties !== false && !schema.$ref) {
      // An object that does not close itself (events close with unevaluatedProperties instead).
      if (schema.unevaluatedProperties !== false) node.open = true
    }
    if (!isObject(schema.properties)) return
    for (const [key, child] of Object.entries(schema.properties)) {
      if (!isObject(child)) continue
      let childNode = node.children.get(key)
      if (!childNode) {
        childNode = emptyNode()
        node.children.set(key, childNode)
      }
      addProperties(childNode, child, id, depth + 1)
    }
  }

  const base = documents.find((doc) => doc.id === BASE_SCHEMA_ID)
  if (!base) throw new Error('data dictionary: common/base.json is missing')
  const baseProperties = isObject(base.schema.properties) ? base.schema.properties : {}
  const groupSegment = new Map<string, Segment>()
  const eventSegment = new Map<string, Segment>()
  const payloadKeys = new Map<string, string[]>()
  for (const doc of documents) {
    if (doc.kind === 'context' && doc.segment) groupSegment.set(doc.name, doc.segment)
    if (doc.kind !== 'event') continue
    if (doc.segment) eventSegment.set(doc.name, doc.segment)
    const properties = isObject(doc.schema.properties) ? Object.keys(doc.schema.properties) : []
    payloadKeys.set(
      doc.name,
      properties.filter((key) => key !== 'type' && !Object.hasOwn(baseProperties, key)),
    )
  }

  const fields = emptyNode()
  addProperties(fields, base.schema, base.id)
  for (const doc of documents) if (doc.kind === 'event') addProperties(fields, doc.schema, doc.id)
  fields.open = false
  for (const key of SERVER_FIELDS) fields.children.set(key, emptyNode())

  const required = Array.isArray(base.schema.required) ? base.schema.required.map(String) : []
  return {
    eventTypes: [...eventSegment.keys()].sort(),
    eventSegment,
    groupSegment,
    payloadKeys,
    commonFields: required,
    serverFields: SERVER_FIELDS,
    fields,
  }
}

let cached: Dictionary | undefined
/** The dictionary of collectors-schema/, read once per process. */
export function dictionary(): Dictionary {
  cached ??= buildDictionary()
  return cached
}

/** Why `path` names no field of the dictionary, with a "did you mean" hint; undefined when it does. */
export function unknownField(dict: Dictionary, path: Path): string | undefined {
  let node = dict.fields
  for (const [index, key] of path.entries()) {
    if (node.open) return undefined
    const child = node.children.get(key)
    if (!child) {
      const text = path.join('.')
      if (node.children.size === 0) {
        return `unknown field "${text}": "${path.slice(0, index).join('.')}" has no fields`
      }
      const hint = closest(key, [...node.children.keys()])
      const suggestion = hint ? ` (did you mean "${[...path.slice(0, index), hint].join('.')}"?)` : ''
      return `unknown field "${text}"${suggestion}`
    }
    node = child
  }
  return undefined
}

/** Why `type` is not an event type of the dictionary, with a hint; undefined when it is one. */
export function unknownEventType(dict: Dictionary, type: string): string | undefined {
  if (dict.eventSegment.has(type)) return undefined
  const hint = closest(type, dict.eventTypes)
  return `unknown event type "${type}"${hint ? ` (did you mean "${hint}"?)` : ''}`
}

/**
 * Fields no pipeline stage removes or overwrites: the identity the runtime and the destinations rely on
 * (dedupe keys, ordering, latency metrics). `type` changes only through a `rename_type` mapping rule.
 */
export const PROTECTED_FIELDS: readonly string[] = [
  'event_id',
  'type',
  'ts',
  'session_id',
  'view_id',
  'seq',
  'received_at',
]
