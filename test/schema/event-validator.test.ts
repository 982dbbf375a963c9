import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createEventValidator } from '../../src/dictionary/event-validator.ts'
import {
  loadExampleEvents,
  loadSchemaDocuments,
  SCHEMA_DIR,
  SEGMENT_KEYWORD,
} from '../../src/dictionary/schema-files.ts'

type Json = Record<string, unknown>

const validator = createEventValidator()
const docs = loadSchemaDocuments()
const examples = loadExampleEvents()

const EVENT_TYPES = [
  'ad_break_end',
  'ad_break_start',
  'ad_complete',
  'ad_error',
  'ad_skip',
  'ad_start',
  'buffer_end',
  'buffer_start',
  'custom',
  'ended',
  'error',
  'heartbeat',
  'media_request',
  'milestone',
  'pause',
  'playback_start',
  'player_ready',
  'playing',
  'rendition_change',
  'seek_end',
  'seek_start',
  'view_end',
  'view_start',
]

const SEGMENTS: Record<string, 'qos' | 'business'> = {
  // context groups
  player: 'qos',
  device: 'qos',
  network: 'qos',
  cdn: 'qos',
  content: 'business',
  user: 'business',
  page: 'business',
  custom: 'business',
}
const EVENT_SEGMENTS: Record<string, 'qos' | 'business'> = {
  player_ready: 'qos',
  view_start: 'business',
  playback_start: 'qos',
  playing: 'qos',
  pause: 'business',
  seek_start: 'business',
  seek_end: 'business',
  ended: 'business',
  view_end: 'business',
  buffer_start: 'qos',
  buffer_end: 'qos',
  rendition_change: 'qos',
  media_request: 'qos',
  error: 'qos',
  ad_break_start: 'business',
  ad_break_end: 'business',
  ad_start: 'business',
  ad_complete: 'business',
  ad_skip: 'business',
  ad_error: 'business',
  heartbeat: 'qos',
  milestone: 'business',
  custom: 'business',
}

/** A deep copy of a type's example, so tests can break it freely. */
function example(type: string): Json {
  const event = examples.get(type)
  if (!event) throw new Error(`no example for ${type}`)
  return structuredClone(event)
}

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Keywords whose value is a map of name → subschema. */
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'dependentSchemas']
/** Keywords whose value is one subschema or a list of them. */
const SUBSCHEMAS = [
  'items',
  'prefixItems',
  'additionalProperties',
  'unevaluatedProperties',
  'propertyNames',
  'contains',
  'not',
  'if',
  'then',
  'else',
  'allOf',
  'anyOf',
  'oneOf',
]

/** Calls `visit` on every subschema of `schema` with its location, depth first. */
function walk(schema: unknown, at: string, visit: (node: Json, at: string) => void): void {
  if (!isJson(schema)) return
  visit(schema, at)
  for (const key of SCHEMA_MAPS) {
    const map = schema[key]
    if (isJson(map)) for (const [name, sub] of Object.entries(map)) walk(sub, `${at}/${key}/${name}`, visit)
  }
  for (const key of SUBSCHEMAS) {
    const sub = schema[key]
    if (Array.isArray(sub)) {
      for (const [i, s] of sub.entries()) walk(s, `${at}/${key}/${i}`, visit)
    } else walk(sub, `${at}/${key}`, visit)
  }
}

describe('data dictionary files', () => {
  it('has a schema, an example and nothing else for every event type', () => {
    expect(validator.eventTypes).toEqual(EVENT_TYPES)
    expect(docs.filter((d) => d.kind === 'event').map((d) => d.name)).toEqual(EVENT_TYPES)
    expect([...examples.keys()].sort()).toEqual(EVENT_TYPES)
  })

  it('uses JSON Schema 2020-12 and versioned $ids matching the file paths', () => {
    for (const doc of docs) {
      expect(doc.schema.$schema, doc.path).toBe('https://json-schema.org/draft/2020-12/schema')
      expect(doc.id, doc.path).toContain('/v1/')
      expect(doc.id, doc.path).toBe(`https://framewire.dev/schemas/v1/${doc.path}`)
    }
    expect(docs.find((d) => d.path === 'events/buffer_start.json')?.id).toBe(
      'https://framewire.dev/schemas/v1/events/buffer_start.json',
    )
  })

  it('has a title and description on every document and a description on every property at every depth', () => {
    const missing: string[] = []
    for (const doc of docs) {
      if (typeof doc.schema.title !== 'string') missing.push(`${doc.path} (title)`)
      if (typeof doc.schema.description !== 'string') missing.push(`${doc.path} (description)`)
      walk(doc.schema, doc.path, (node, at) => {
        for (const key of ['properties', 'patternProperties']) {
          const map = node[key]
          if (!isJson(map)) continue
          for (const [name, sub] of Object.entries(map)) {
            const description = isJson(sub) ? sub.description : undefined
            if (typeof description !== 'string' || description.trim().length < 10) {
              missing.push(`${at}/${key}/${name}`)
            }
          }
        }
        // Schemas for free-form members (custom group values and names) are documented too.
        for (const key of ['additionalProperties', 'propertyNames', 'items']) {
          const sub = node[key]
          if (isJson(sub) && typeof sub.description !== 'string') missing.push(`${at}/${key}`)
        }
        if (isJson(node.$defs)) {
          for (const [name, sub] of Object.entries(node.$defs)) {
            if (!isJson(sub) || typeof sub.description !== 'string') missing.push(`${at}/$defs/${name}`)
          }
        }
      })
    }
    expect(missing).toEqual([])
  })

  it('declares every required property next to the requirement or in the enclosing object', () => {
    // ajv's strictRequired is off (it cannot follow if/then), so typos in `required` are caught here.
    const undeclared: string[] = []
    const check = (schema: unknown, at: string, enclosing: Json): void => {
      if (!isJson(schema)) return
      const own = isJson(schema.properties) ? schema.properties : {}
      const visible = { ...enclosing, ...own }
      if (Array.isArray(schema.required)) {
        for (const name of schema.required) if (!(name in visible)) undeclared.push(`${at}: ${name}`)
      }
      for (const key of SCHEMA_MAPS) {
        const map = schema[key]
        if (isJson(map)) for (const [name, sub] of Object.entries(map)) check(sub, `${at}/${key}/${name}`, {})
      }
      for (const key of ['items', 'additionalProperties', 'propertyNames'])
        check(schema[key], `${at}/${key}`, {})
      // Same instance location: the enclosing object's properties stay visible.
      for (const key of ['allOf', 'anyOf', 'oneOf', 'if', 'then', 'else']) {
        const sub = schema[key]
        if (Array.isArray(sub)) {
          for (const [i, s] of sub.entries()) check(s, `${at}/${key}/${i}`, visible)
        } else check(sub, `${at}/${key}`, visible)
      }
    }
    for (const doc of docs) check(doc.schema, doc.path, {})
    expect(undeclared).toEqual([])
  })

  it('tags every event type and context group with its segment', () => {
    for (const doc of docs.filter((d) => d.kind === 'context')) {
      expect({ [doc.name]: doc.schema[SEGMENT_KEYWORD] }).toEqual({ [doc.name]: SEGMENTS[doc.name] })
    }
    expect(docs.filter((d) => d.kind === 'context').map((d) => d.name)).toEqual(Object.keys(SEGMENTS).sort())
    for (const doc of docs.filter((d) => d.kind === 'event')) {
      expect({ [doc.name]: doc.segment }).toEqual({ [doc.name]: EVENT_SEGMENTS[doc.name] })
    }
  })

  it('builds every event schema on the shared base and closes it', () => {
    for (const doc of docs.filter((d) => d.kind === 'event')) {
      expect(doc.schema.$ref, doc.path).toBe('../common/base.json')
      expect(doc.schema.unevaluatedProperties, doc.path).toBe(false)
      expect((doc.schema.properties as Record<string, Json>).type?.const, doc.path).toBe(doc.name)
    }
    const base = docs.find((d) => d.path === 'common/base.json')?.schema
    expect(base?.required).toEqual(['event_id', 'type', 'ts', 'session_id', 'view_id', 'seq'])
  })

  it('documents every event type and context group with its segment in the README', () => {
    const readme = readFileSync(`${SCHEMA_DIR}README.md`, 'utf8')
    for (const [name, segment] of [...Object.entries(EVENT_SEGMENTS), ...Object.entries(SEGMENTS)]) {
      expect(readme, name).toMatch(new RegExp(`^#{3,4} \`${name}\`.*\\b${segment}\\b`, 'm'))
    }
  })
})

describe('validateEvent', () => {
  it.each(EVENT_TYPES)('accepts the example %s event', (type) => {
    const event = example(type)
    expect(event.type).toBe(type)
    expect(validator.validateEvent(event)).toEqual([])
  })

  it('accepts an event with only the common fields when its type has no required payload', () => {
    const { event_id, type, ts, session_id, view_id, seq } = example('pause')
    expect(validator.validateEvent({ event_id, type, ts, session_id, view_id, seq })).toEqual([])
  })

  it('reports a missing common field at its path', () => {
    const event = example('buffer_start')
    delete event.view_id
    expect(validator.validateEvent(event)).toEqual([{ pointer: '/view_id', message: 'is required' }])
  })

  it('rejects an event_id that is not a UUID', () => {
    const event = { ...example('playing'), event_id: 'not-a-uuid' }
    expect(validator.validateEvent(event)).toEqual([
      { pointer: '/event_id', message: 'must be a valid uuid' },
    ])
  })

  it('lists the allowed values of an enum', () => {
    const event = example('buffer_start')
    event.buffer = { cause: 'rebuffer' }
    expect(validator.validateEvent(event)).toEqual([
      { pointer: '/buffer/cause', message: 'must be one of: initial, seek, stall' },
    ])
  })

  it('rejects an unknown type at /type, listing the allowed types', () => {
    const event = { ...example('playing'), type: 'dropped_frames' }
    expect(validator.validateEvent(event)).toEqual([
      {
        pointer: '/type',
        message: `unknown event type "dropped_frames"; must be one of: ${EVENT_TYPES.join(', ')}`,
      },
    ])
  })

  it('reports a missing or non-string type at /type', () => {
    const event = example('playing')
    delete event.type
    expect(validator.validateEvent(event)).toEqual([
      { pointer: '/type', message: `is required; must be one of: ${EVENT_TYPES.join(', ')}` },
    ])
    expect(validator.validateEvent({ ...event, type: 7 })).toEqual([
      { pointer: '/type', message: `must be a string, one of: ${EVENT_TYPES.join(', ')}` },
    ])
    expect(validator.validateEvent({ ...event, type: 'toString' })[0]?.pointer).toBe('/type')
  })

  it('rejects an unknown top-level field, naming it', () => {
    const event = { ...example('playing'), campaign: 'spring' }
    expect(validator.validateEvent(event)).toEqual([
      {
        pointer: '/campaign',
        message: 'unknown property "campaign" is not allowed (free-form fields belong in "custom")',
      },
    ])
  })

  it('rejects a payload field of another event type', () => {
    const event = { ...example('playing'), buffer: { cause: 'stall' } }
    expect(validator.validateEvent(event)).toEqual([
      {
        pointer: '/buffer',
        message: 'unknown property "buffer" is not allowed (free-form fields belong in "custom")',
      },
    ])
  })

  it('rejects unknown fields inside payloads and context groups', () => {
    const event = example('buffer_end')
    event.buffer = { cause: 'stall', duration_ms: 800, reason: 'cdn' }
    expect(validator.validateEvent(event)).toEqual([
      { pointer: '/buffer/reason', message: 'unknown property "reason" is not allowed' },
    ])
    const withPlayerField = { ...example('playing'), player: { name: 'hls.js', skin: 'dark' } }
    expect(validator.validateEvent(withPlayerField)).toEqual([
      { pointer: '/player/skin', message: 'unknown property "skin" is not allowed' },
    ])
  })

  it('rejects a negative seq', () => {
    const event = { ...example('heartbeat'), seq: -1 }
    expect(validator.validateEvent(event)).toEqual([{ pointer: '/seq', message: 'must be >= 0' }])
  })

  it('rejects a non-integer ts', () => {
    expect(validator.validateEvent({ ...example('pause'), ts: 1764086400000.5 })).toEqual([
      { pointer: '/ts', message: 'must be an integer' },
    ])
    expect(validator.validateEvent({ ...example('pause'), ts: '1764086400000' })).toEqual([
      { pointer: '/ts', message: 'must be an integer' },
    ])
  })

  it('requires the payload of types that have one', () => {
    const event = example('buffer_end')
    event.buffer = { cause: 'stall' }
    expect(validator.validateEvent(event)).toEqual([
      { pointer: '/buffer/duration_ms', message: 'is required' },
    ])
    const error = example('error')
    delete error.error
    expect(validator.validateEvent(error)).toEqual([{ pointer: '/error', message: 'is required' }])
  })

  it('validates error category and fatal', () => {
    const event = example('error')
    event.error = { code: '3016', message: 'x', fatal: true, category: 'network' }
    expect(validator.validateEvent(event)).toEqual([
      { pointer: '/error/category', message: 'must be one of: business, technical' },
    ])
    event.error = { code: '3016', message: 'x', fatal: 'yes', category: 'technical' }
    expect(validator.validateEvent(event)).toEqual([
      { pointer: '/error/fatal', message: 'must be a boolean' },
    ])
  })

  it('requires the milestone value that matches its kind', () => {
    const event = example('milestone')
    event.milestone = { kind: 'percent' }
    expect(validator.validateEvent(event)).toEqual([
      { pointer: '/milestone/percent', message: 'is required' },
    ])
    event.milestone = { kind: 'time' }
    expect(validator.validateEvent(event)).toEqual([
      { pointer: '/milestone/watched_ms', message: 'is required' },
    ])
    event.milestone = { kind: 'quartile', percent: 25 }
    expect(validator.validateEvent(event)).toEqual([
      { pointer: '/milestone/kind', message: 'must be one of: percent, time' },
    ])
    event.milestone = { kind: 'time', watched_ms: 30000 }
    expect(validator.validateEvent(event)).toEqual([])
  })

  it('requires consent.analytics when consent is sent', () => {
    const event = { ...example('playing'), user: { anonymous_id: 'a', consent: { advertising: true } } }
    expect(validator.validateEvent(event)).toEqual([
      { pointer: '/user/consent/analytics', message: 'is required' },
    ])
  })

  it('keeps the custom group free-form but flat', () => {
    const custom = { anything_goes: 'yes', tier: 3, beta: true, campaign: null }
    expect(validator.validateEvent({ ...example('playing'), custom })).toEqual([])
    expect(validator.validateEvent({ ...example('playing'), custom: { nested: { a: 1 } } })).toEqual([
      { pointer: '/custom/nested', message: 'must be a string, a number, a boolean or null' },
    ])
    expect(validator.validateEvent({ ...example('playing'), custom: { 'a/b': 1 } })).toEqual([
      {
        pointer: '/custom/a~1b',
        message: 'property name "a/b" must match pattern "^[A-Za-z][A-Za-z0-9_]{0,63}$"',
      },
    ])
  })

  it('accepts any JSON object as custom event data', () => {
    const event = { ...example('custom'), data: { list: [1, 2], deep: { deeper: { x: null } } } }
    expect(validator.validateEvent(event)).toEqual([])
    expect(validator.validateEvent({ ...event, data: [1] })).toEqual([
      { pointer: '/data', message: 'must be an object' },
    ])
  })

  it('rejects values that are not objects', () => {
    for (const value of [null, 'event', 42, [example('playing')], undefined]) {
      expect(validator.validateEvent(value)).toEqual([{ pointer: '', message: 'must be an object' }])
    }
  })
})

describe('validateEnvelope', () => {
  const body = (overrides: Json = {}): Json => ({
    sent_at: 1764086401000,
    events: [example('playing')],
    ...overrides,
  })

  it('accepts a batch of every example event', () => {
    expect(validator.validateEnvelope(body({ events: [...examples.values()] }))).toEqual([])
  })

  it('does not validate the events themselves', () => {
    expect(validator.validateEnvelope(body({ events: [{ type: 'nonsense' }, {}] }))).toEqual([])
  })

  it('requires events to be an array', () => {
    expect(validator.validateEnvelope(body({ events: { 0: example('playing') } }))).toEqual([
      { pointer: '/events', message: 'must be an array' },
    ])
  })

  it('rejects an empty batch and an oversized one', () => {
    expect(validator.validateEnvelope(body({ events: [] }))).toEqual([
      { pointer: '/events', message: 'must contain at least 1 item' },
    ])
    expect(validator.validateEnvelope(body({ events: Array.from({ length: 501 }, () => ({})) }))).toEqual([
      { pointer: '/events', message: 'must contain at most 500 items' },
    ])
    expect(validator.validateEnvelope(body({ events: Array.from({ length: 500 }, () => ({})) }))).toEqual([])
  })

  it('requires sent_at as integer epoch ms', () => {
    const { events } = body()
    expect(validator.validateEnvelope({ events })).toEqual([{ pointer: '/sent_at', message: 'is required' }])
    expect(validator.validateEnvelope(body({ sent_at: '2025-11-25T16:00:00Z' }))).toEqual([
      { pointer: '/sent_at', message: 'must be an integer' },
    ])
  })

  it('requires every event to be an object', () => {
    expect(validator.validateEnvelope(body({ events: [example('playing'), 'pause'] }))).toEqual([
      { pointer: '/events/1', message: 'must be an object' },
    ])
  })

  it('rejects unknown envelope fields and non-object bodies', () => {
    expect(validator.validateEnvelope(body({ write_key: 'k' }))).toEqual([
      { pointer: '/write_key', message: 'unknown property "write_key" is not allowed' },
    ])
    expect(validator.validateEnvelope([])).toEqual([{ pointer: '', message: 'must be an object' }])
  })
})
