import type { JsonSchema } from './editor-schema.ts'

/** A Markdown table cell: pipes escaped, on one line. */
const cell = (text: string) => text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ')
const code = (value: unknown) =>
  `\`${typeof value === 'string' && value !== '' ? value : JSON.stringify(value)}\``

/** ` (1 to 500)`, ` (≥ 0)`, ` (> 0)` or nothing. */
function rangeOf({ minimum, maximum, exclusiveMinimum, exclusiveMaximum }: JsonSchema): string {
  if (minimum !== undefined && maximum !== undefined) return ` (${minimum} to ${maximum})`
  const bounds: [unknown, string][] = [
    [minimum, '≥'],
    [exclusiveMinimum, '>'],
    [maximum, '≤'],
    [exclusiveMaximum, '<'],
  ]
  const parts = bounds.filter(([value]) => value !== undefined).map(([value, sign]) => `${sign} ${value}`)
  return parts.length > 0 ? ` (${parts.join(', ')})` : ''
}

/** A value's type in words: `string`, `list of string`, `map of string`, `` `us` | `eu` ``. */
export function typeOf(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return schema.enum.map(code).join(' | ')
  if ('const' in schema) return code(schema.const)
  if (typeof schema.$ref === 'string') return schema.$ref.split('/').at(-1) as string
  const variants = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined
  if (variants) return variants.map(typeOf).join(' or ')
  const types = [schema.type].flat().filter((t): t is string => typeof t === 'string')
  return (
    types
      .map((type) => {
        if (type === 'array' && schema.items) return `list of ${typeOf(schema.items as JsonSchema)}`
        if (
          type === 'object' &&
          schema.additionalProperties &&
          typeof schema.additionalProperties === 'object'
        ) {
          return `map of ${typeOf(schema.additionalProperties as JsonSchema)}`
        }
        if (type === 'string' && schema.format === 'uri') return 'URL'
        if (type === 'integer' || type === 'number') return `${type}${rangeOf(schema)}`
        return type
      })
      .join(' or ') || 'any'
  )
}

interface Row {
  key: string
  type: string
  default: string
  required: string
  description: string
}

const documentedKeys = (schema: JsonSchema) =>
  // Objects whose keys are alternatives (a filter condition, a mapping rule) are one row each.
  schema.properties && schema.minProperties === undefined
    ? (schema.properties as Record<string, JsonSchema>)
    : undefined

function rows(schema: JsonSchema, prefix: string): Row[] {
  const properties = documentedKeys(schema)
  if (!properties) return []
  const required = new Set((schema.required as string[] | undefined) ?? [])
  return Object.entries(properties).flatMap(([name, property]) => {
    const key = `${prefix}${name}`
    const items = property.type === 'array' ? (property.items as JsonSchema) : undefined
    const row: Row = {
      key: `\`${key}\``,
      type: cell(typeOf(property)),
      default: 'default' in property ? code(property.default) : '—',
      required: required.has(name) ? 'yes' : '',
      description: cell(String(property.description ?? '')),
    }
    const nested = items && documentedKeys(items) ? rows(items, `${key}[].`) : rows(property, `${key}.`)
    return [row, ...nested]
  })
}

const HEADER: Row = {
  key: 'Key',
  type: 'Type',
  default: 'Default',
  required: 'Required',
  description: 'Description',
}
const COLUMNS = Object.keys(HEADER) as (keyof Row)[]

/**
 * A Markdown table of an object schema's keys (nested objects as dotted keys, list items as `key[].`), with
 * columns padded as Prettier pads them.
 */
export function keyTable(schema: JsonSchema): string {
  const all = [HEADER, ...rows(schema, '')]
  const widths = COLUMNS.map((column) => Math.max(3, ...all.map((row) => row[column].length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`
  return [
    line(COLUMNS.map((column) => HEADER[column])),
    line(widths.map((width) => '-'.repeat(width))),
    ...all.slice(1).map((row) => line(COLUMNS.map((column) => row[column]))),
  ].join('\n')
}

/** `text` with what lies between `<!-- name:start -->` and `<!-- name:end -->` replaced by `content`. */
export function replaceBetweenMarkers(text: string, name: string, content: string, file: string): string {
  const start = `<!-- ${name}:start -->`
  const end = `<!-- ${name}:end -->`
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from < 0 || to < from) throw new Error(`${file} has no ${start} … ${end} markers`)
  return `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`
}
