import { loadSchemaDocuments, type SchemaDocument } from '../../src/dictionary/schema-files.ts'

/**
 * The BigQuery table schema of the events table, generated from the data dictionary (collectors-schema/):
 * one column per common field, one RECORD per context group and per payload object (the union of its
 * fields over all event types), JSON for the open objects (`custom`, the custom event's `data`), TIMESTAMP
 * for the epoch-millisecond times, plus the fields ingest adds.
 * https://cloud.google.com/bigquery/docs/reference/rest/v2/tables#TableFieldSchema
 */

export type BigQueryType = 'STRING' | 'INTEGER' | 'FLOAT' | 'BOOLEAN' | 'TIMESTAMP' | 'RECORD' | 'JSON'

export interface BigQueryField {
  name: string
  type: BigQueryType
  mode: 'NULLABLE' | 'REQUIRED'
  description?: string
  fields?: BigQueryField[]
}

type Node = Record<string, unknown>

/** BigQuery's limit on a column description. */
const MAX_DESCRIPTION = 1024

/** Integer epoch-millisecond fields of the dictionary, stored as TIMESTAMP. */
const EPOCH_MS_FIELDS = new Set(['ts'])

/** What ingest adds to every event (src/event.ts EnrichedEvent), after the dictionary's common fields. */
const SERVER_FIELDS: BigQueryField[] = [
  {
    name: 'ts_corrected',
    type: 'TIMESTAMP',
    mode: 'REQUIRED',
    description: '`ts` shifted by the client clock skew measured by ingest from the envelope `sent_at`.',
  },
  {
    name: 'received_at',
    type: 'TIMESTAMP',
    mode: 'REQUIRED',
    description: 'Server clock when ingest received the request. The table is partitioned by this column.',
  },
  {
    name: 'source',
    type: 'STRING',
    mode: 'REQUIRED',
    description: 'Name of the ingest source whose write key sent the event.',
  },
  { name: 'ingest_node', type: 'STRING', mode: 'NULLABLE', description: 'Ingest node that received it.' },
  { name: 'client_ip', type: 'STRING', mode: 'NULLABLE', description: 'Client IP address as ingest saw it.' },
  { name: 'user_agent', type: 'STRING', mode: 'NULLABLE', description: 'User-Agent header of the request.' },
]

class SchemaError extends Error {
  override name = 'SchemaError'
}

function resolver(docs: SchemaDocument[]) {
  const byId = new Map(docs.map((doc) => [doc.id, doc.schema]))
  /** The node a `$ref` points to, and the `$id` its own relative refs resolve against. */
  return (ref: string, baseId: string): { node: Node; baseId: string } => {
    const url = new URL(ref, baseId)
    const docId = `${url.origin}${url.pathname}`
    let node: unknown = byId.get(docId)
    if (node === undefined) throw new SchemaError(`$ref ${ref} from ${baseId}: no such document`)
    for (const part of url.hash.replace(/^#\/?/, '').split('/').filter(Boolean)) {
      node = (node as Node)[decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')]
    }
    if (typeof node !== 'object' || node === null)
      throw new SchemaError(`$ref ${ref} from ${baseId}: not found`)
    return { node: node as Node, baseId: docId }
  }
}

function describe(node: Node, fallback?: Node): string | undefined {
  const text = (node.description ?? fallback?.description) as string | undefined
  return text === undefined ? undefined : text.slice(0, MAX_DESCRIPTION)
}

/** Merges the fields of `extra` into `into` (same name: same type; records merge their fields). */
function mergeFields(into: BigQueryField[], extra: BigQueryField[], path: string): void {
  for (const field of extra) {
    const existing = into.find((f) => f.name === field.name)
    if (!existing) {
      into.push(field)
    } else if (existing.type !== field.type) {
      throw new SchemaError(
        `${path}${field.name}: ${existing.type} in one event type, ${field.type} in another`,
      )
    } else if (existing.fields && field.fields) {
      mergeFields(existing.fields, field.fields, `${path}${field.name}.`)
    }
  }
}

export function bigQuerySchema(docs: SchemaDocument[] = loadSchemaDocuments()): BigQueryField[] {
  const resolve = resolver(docs)

  const toField = (name: string, node: Node, baseId: string, path: string): BigQueryField => {
    let target = node
    let targetBase = baseId
    if (typeof node.$ref === 'string') {
      const resolved = resolve(node.$ref, baseId)
      target = resolved.node
      targetBase = resolved.baseId
    }
    const field = (type: BigQueryType): BigQueryField => {
      const f: BigQueryField = { name, type, mode: 'NULLABLE' }
      const description = describe(node, target)
      if (description !== undefined) f.description = description
      return f
    }
    if (typeof target.const === 'string') return field('STRING')
    switch (target.type) {
      case 'string':
        return field('STRING')
      case 'integer':
        return field(EPOCH_MS_FIELDS.has(path) ? 'TIMESTAMP' : 'INTEGER')
      case 'number':
        return field('FLOAT')
      case 'boolean':
        return field('BOOLEAN')
      case 'object': {
        // A closed object becomes a RECORD; an open one (custom dimensions, free-form data) a JSON column.
        if (!target.properties || target.additionalProperties !== false) return field('JSON')
        const record = field('RECORD')
        record.fields = fieldsOf(target, targetBase, `${path}.`)
        return record
      }
      default:
        if (Array.isArray(target.type)) return field('JSON')
        throw new SchemaError(`${path}: unsupported JSON Schema ${JSON.stringify(target)}`)
    }
  }

  const fieldsOf = (node: Node, baseId: string, prefix: string): BigQueryField[] =>
    Object.entries((node.properties ?? {}) as Record<string, Node>).map(([name, child]) =>
      toField(name, child, baseId, `${prefix}${name}`),
    )

  const base = docs.find((doc) => doc.kind === 'common' && doc.name === 'base')
  if (!base) throw new SchemaError('collectors-schema/common/base.json is missing')
  const required = new Set((base.schema.required ?? []) as string[])
  const baseFields = fieldsOf(base.schema, base.id, '')
  // The common fields first, then what ingest adds, then context groups, then each event type's payload.
  const columns: BigQueryField[] = [
    ...baseFields.filter((f) => required.has(f.name)).map((f) => ({ ...f, mode: 'REQUIRED' as const })),
    ...SERVER_FIELDS.map((f) => ({ ...f })),
    ...baseFields.filter((f) => !required.has(f.name)),
  ]
  for (const doc of docs.filter((d) => d.kind === 'event')) {
    const own = fieldsOf(doc.schema, doc.id, '')
    // The event's `type` (a const) is the base's `type` column; its description stays the base's.
    mergeFields(
      columns,
      own.filter((field) => field.name !== 'type'),
      '',
    )
  }
  return columns
}

let dictionary: BigQueryField[] | undefined

/** The dictionary's schema, generated once per process. */
export function dictionarySchema(): BigQueryField[] {
  dictionary ??= bigQuerySchema()
  return dictionary
}
