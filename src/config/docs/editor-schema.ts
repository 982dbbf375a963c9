import { configSchema } from '../schema.ts'

/** JSON Schema (draft 2020-12) as plain data: TypeBox's symbol keys dropped. */
export type JsonSchema = Record<string, unknown>

const json = (schema: object): JsonSchema => JSON.parse(JSON.stringify(schema)) as JsonSchema

/** How `${NAME}` and `${NAME:-default}` are written (src/config/interpolate.ts replaces them at load). */
const ENV_REFERENCE: JsonSchema = {
  type: 'string',
  pattern: '\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}',
  description: 'An environment variable, ${NAME} or ${NAME:-default}, replaced when the config loads.',
}
const LEAF_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null'])
const isLeaf = (schema: JsonSchema) =>
  'enum' in schema ||
  'const' in schema ||
  [schema.type].flat().some((type) => typeof type === 'string' && LEAF_TYPES.has(type))

/**
 * Lets every scalar value also be an environment variable reference, as the loader allows, so editors do
 * not flag `port: ${PORT:-8080}` or `url: ${RECEIVER_URL}`.
 */
function allowEnvReferences(schema: JsonSchema): JsonSchema {
  if (typeof schema !== 'object') return schema // `true` and `false` schemas
  if (isLeaf(schema)) {
    const { description, default: fallback, ...rest } = schema
    return {
      anyOf: [rest, { $ref: '#/$defs/env_reference' }],
      ...(description === undefined ? {} : { description }),
      ...(fallback === undefined ? {} : { default: fallback }),
    }
  }
  const out: JsonSchema = { ...schema }
  for (const key of ['items', 'additionalProperties', 'not']) {
    const sub = schema[key]
    if (sub && typeof sub === 'object') out[key] = allowEnvReferences(sub as JsonSchema)
  }
  for (const key of ['properties', '$defs']) {
    const subs = schema[key] as Record<string, JsonSchema> | undefined
    if (subs) out[key] = Object.fromEntries(Object.entries(subs).map(([k, s]) => [k, allowEnvReferences(s)]))
  }
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const list = schema[key] as JsonSchema[] | undefined
    if (list) out[key] = list.map(allowEnvReferences)
  }
  return out
}

/**
 * The JSON Schema of the whole config for editors (framewire.schema.json): the loader's schema, with each
 * connector entry's `settings` checked against its type's settingsSchema (if/then on `type`) and `type`
 * completed from the registry.
 */
export function editorSchema(
  connectorTypes: Readonly<Record<string, { settingsSchema: object }>>,
): JsonSchema {
  const schema = json(configSchema)
  const connectors = (schema.properties as Record<string, JsonSchema>).connectors as JsonSchema
  const entry = connectors.items as JsonSchema
  const properties = entry.properties as Record<string, JsonSchema>
  properties.type = { ...properties.type, enum: Object.keys(connectorTypes) }
  const typed = allowEnvReferences(schema)
  const typedEntry = ((typed.properties as Record<string, JsonSchema>).connectors as JsonSchema)
    .items as JsonSchema
  typedEntry.allOf = Object.entries(connectorTypes).map(([type, definition]) => {
    const settings = json(definition.settingsSchema)
    const required = (settings.required as string[] | undefined) ?? []
    return {
      if: { properties: { type: { const: type } }, required: ['type'] },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, never awaited.
      then: {
        properties: {
          settings: {
            ...allowEnvReferences(settings),
            description: `Settings of the ${type} connector (connectors/${type}/README.md).`,
          },
        },
        ...(required.length > 0 ? { required: ['settings'] } : {}),
      },
    }
  })
  typed.$defs = { ...(typed.$defs as JsonSchema), env_reference: ENV_REFERENCE }
  return typed
}
