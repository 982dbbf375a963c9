import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { ENVELOPE_SCHEMA_ID, loadSchemaDocuments, SEGMENT_KEYWORD, SEGMENTS } from './schema-files.ts'

/**
 * Validates ingest request bodies and events against the data dictionary in collectors-schema/.
 * All schemas are compiled once, in createEventValidator(); validating an event is one Map lookup on
 * `type` plus that type's compiled function.
 */

export interface ValidationIssue {
  /** JSON pointer relative to the validated value (the event, or the body for envelopes); "" is the root. */
  pointer: string
  /** Human-readable message, e.g. "must be one of: initial, seek, stall". */
  message: string
}

export interface EventValidator {
  /** Checks the batch shape only (sent_at, events[] of objects); [] when valid. Pointers are relative to the body. */
  validateEnvelope(body: unknown): ValidationIssue[]
  /** Validates one event against the schema of its `type`; [] when valid. Pointers are relative to the event. */
  validateEvent(event: unknown): ValidationIssue[]
  /** Every event type of the dictionary, sorted. */
  readonly eventTypes: readonly string[]
}

// ajv-formats is CommonJS: under NodeNext its default export arrives as the module object.
const addFormats = addFormatsModule.default

function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1')
}

function childPointer(parent: string, property: string): string {
  return `${parent}/${escapePointerToken(property)}`
}

const ARTICLE: Record<string, string> = {
  array: 'an array',
  boolean: 'a boolean',
  integer: 'an integer',
  null: 'null',
  number: 'a number',
  object: 'an object',
  string: 'a string',
}

function describeType(type: unknown): string {
  const names = (Array.isArray(type) ? type : [type]).map((t) => ARTICLE[String(t)] ?? String(t))
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : (names[0] ?? 'valid')
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** Turns one ajv error into an issue whose pointer names the exact offending property. */
function toIssue(error: ErrorObject, atRoot: string): ValidationIssue {
  const path = error.instancePath
  const params = error.params as Record<string, unknown>
  // An error raised on a property *name* (propertyNames) carries the name on the error object.
  if (error.propertyName !== undefined) {
    return {
      pointer: childPointer(path, error.propertyName),
      message: `property name "${error.propertyName}" ${error.message ?? 'is invalid'}`,
    }
  }
  switch (error.keyword) {
    case 'required':
      return { pointer: childPointer(path, String(params.missingProperty)), message: 'is required' }
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const name = String(params.additionalProperty ?? params.unevaluatedProperty)
      const hint = path === '' ? atRoot : ''
      return {
        pointer: childPointer(path, name),
        message: `unknown property "${name}" is not allowed${hint}`,
      }
    }
    case 'enum':
      return {
        pointer: path,
        message: `must be one of: ${(params.allowedValues as unknown[]).map((v) => String(v)).join(', ')}`,
      }
    case 'const':
      return { pointer: path, message: `must be ${JSON.stringify(params.allowedValue)}` }
    case 'type':
      return { pointer: path, message: `must be ${describeType(params.type)}` }
    case 'format':
      return { pointer: path, message: `must be a valid ${String(params.format)}` }
    case 'minItems':
      return { pointer: path, message: `must contain at least ${plural(Number(params.limit), 'item')}` }
    case 'maxItems':
      return { pointer: path, message: `must contain at most ${plural(Number(params.limit), 'item')}` }
    case 'maxProperties':
      return { pointer: path, message: `must have at most ${plural(Number(params.limit), 'property')}` }
    default:
      return { pointer: path, message: error.message ?? 'is invalid' }
  }
}

/** Wrapper keywords whose own error only repeats the inner one that ajv reports first. */
const WRAPPER_KEYWORDS = new Set(['if', 'propertyNames', 'allOf', 'anyOf', 'oneOf', '$ref'])

function issuesOf(validate: ValidateFunction, atRoot = ''): ValidationIssue[] {
  const errors = validate.errors ?? []
  const specific = errors.filter((e) => !WRAPPER_KEYWORDS.has(e.keyword))
  return (specific.length > 0 ? specific : errors).map((e) => toIssue(e, atRoot))
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Reads the schema files, compiles every schema once and returns the validator. Throws on a broken dictionary. */
export function createEventValidator(): EventValidator {
  const docs = loadSchemaDocuments()
  const ajv = new Ajv2020({
    strict: true,
    // Conditional requirements (milestone) name properties declared next to the `if`, which strictRequired
    // cannot see; required names are checked by test/schema instead.
    strictRequired: false,
    // custom-group values are `string | number | boolean | null`.
    allowUnionTypes: true,
    // Stop at the first error: bounded work per event whatever the payload.
    allErrors: false,
  })
  addFormats(ajv)
  ajv.addKeyword({ keyword: SEGMENT_KEYWORD, schemaType: 'string', metaSchema: { enum: [...SEGMENTS] } })
  for (const doc of docs) ajv.addSchema(doc.schema)

  const compiled = (id: string): ValidateFunction => {
    const validate = ajv.getSchema(id)
    if (!validate) throw new Error(`schema ${id} did not compile`)
    return validate
  }

  const envelope = compiled(ENVELOPE_SCHEMA_ID)
  const byType = new Map<string, ValidateFunction>()
  for (const doc of docs) {
    if (doc.kind === 'context' || doc.kind === 'common') compiled(doc.id)
    if (doc.kind !== 'event') continue
    const typeProperty = (doc.schema.properties as Record<string, { const?: unknown }> | undefined)?.type
    if (typeProperty?.const !== doc.name) {
      throw new Error(`collectors-schema/${doc.path}: properties.type.const must be "${doc.name}"`)
    }
    byType.set(doc.name, compiled(doc.id))
  }
  const eventTypes = Object.freeze([...byType.keys()].sort())
  const allowedTypes = eventTypes.join(', ')
  const rootHint = ' (free-form fields belong in "custom")'

  return {
    eventTypes,

    validateEnvelope(body) {
      return envelope(body) ? [] : issuesOf(envelope)
    },

    validateEvent(event) {
      if (!isObject(event)) return [{ pointer: '', message: 'must be an object' }]
      const type = Object.hasOwn(event, 'type') ? event.type : undefined
      if (type === undefined)
        return [{ pointer: '/type', message: `is required; must be one of: ${allowedTypes}` }]
      if (typeof type !== 'string') {
        return [{ pointer: '/type', message: `must be a string, one of: ${allowedTypes}` }]
      }
      const validate = byType.get(type)
      if (!validate) {
        return [
          {
            pointer: '/type',
            message: `unknown event type "${type.slice(0, 64)}"; must be one of: ${allowedTypes}`,
          },
        ]
      }
      return validate(event) ? [] : issuesOf(validate, rootHint)
    },
  }
}
