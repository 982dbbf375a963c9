import { describe, expect, it } from 'vitest'
import { loadSchemaDocuments } from '../../src/dictionary/schema-files.ts'
import type { EnrichedEvent } from '../../src/event.ts'
import { buildDictionary, dictionary, PROTECTED_FIELDS } from '../../src/pipeline/dictionary.ts'
import { compileSegments } from '../../src/pipeline/segments.ts'
import { makeEvent } from '../fixtures/events.ts'

const dict = dictionary()
const full = (overrides: Record<string, unknown>) =>
  makeEvent({ custom: { tier: 'gold' }, network: { connection_type: 'wifi' }, ...overrides })

describe('data segments', () => {
  it('reads the tables from the data dictionary', () => {
    expect(dict.groupSegment.get('player')).toBe('qos')
    expect(dict.groupSegment.get('user')).toBe('business')
    expect(dict.eventSegment.get('heartbeat')).toBe('qos')
    expect(dict.eventSegment.get('milestone')).toBe('business')
    expect(dict.payloadKeys.get('view_end')).toEqual(['view', 'metrics'])
    expect(dict.payloadKeys.get('custom')).toEqual(['name', 'data'])
    expect(dict.commonFields).toEqual(['event_id', 'type', 'ts', 'session_id', 'view_id', 'seq'])
  })

  it('follows the x-framewire-segment tags of the documents, not a hard-coded list', () => {
    const docs = loadSchemaDocuments().map((doc) =>
      doc.kind === 'event' && doc.name === 'heartbeat' ? { ...doc, segment: 'business' as const } : doc,
    )
    const retagged = buildDictionary(docs)
    const qos = compileSegments(['qos'], retagged) as (event: EnrichedEvent) => EnrichedEvent | null
    expect(qos(full({ type: 'heartbeat', metrics: { interval_ms: 1 } }))).toBeNull()
    expect(qos(full({ type: 'playing' }))).not.toBeNull()
  })

  it('qos: keeps qos events with the common, server and qos fields only', () => {
    const qos = compileSegments(['qos'], dict) as (event: EnrichedEvent) => EnrichedEvent | null
    const event = full({ type: 'buffer_start', buffer: { cause: 'stall' } })
    const out = qos(event)
    expect(Object.keys(out ?? {}).sort()).toEqual(
      [
        ...PROTECTED_FIELDS,
        'ts_corrected',
        'source',
        'ingest_node',
        'client_ip',
        'user_agent',
        'player',
        'device',
        'network',
        'cdn',
        'buffer',
      ].sort(),
    )
    expect(out?.player).toBe(event.player)
    expect(event.content).toBeDefined()
  })

  it('qos: drops business event types whole, and types the dictionary does not know', () => {
    const qos = compileSegments(['qos'], dict) as (event: EnrichedEvent) => EnrichedEvent | null
    expect(qos(full({ type: 'milestone', milestone: { kind: 'percent', percent: 25 } }))).toBeNull()
    expect(qos(full({ type: 'view_start' }))).toBeNull()
    expect(qos(full({ type: 'made_up' }))).toBeNull()
    expect(qos(full({ type: 'heartbeat', metrics: { interval_ms: 1 } }))?.metrics).toEqual({ interval_ms: 1 })
  })

  it('business: keeps business events with content, user, page and custom but no qos groups', () => {
    const business = compileSegments(['business'], dict) as (event: EnrichedEvent) => EnrichedEvent | null
    const out = business(full({ type: 'custom', name: 'share_clicked', data: { to: 'x' } }))
    expect(out).toMatchObject({ name: 'share_clicked', data: { to: 'x' }, custom: { tier: 'gold' } })
    for (const key of ['content', 'user', 'page']) expect(out).toHaveProperty(key)
    for (const key of ['player', 'device', 'network', 'cdn']) expect(out).not.toHaveProperty(key)
    expect(business(full({ type: 'error', error: { code: 'x' } }))).toBeNull()
  })

  it('compiles to nothing when every segment (or none) is selected', () => {
    expect(compileSegments(['qos', 'business'], dict)).toBeUndefined()
    expect(compileSegments(undefined, dict)).toBeUndefined()
  })
})
