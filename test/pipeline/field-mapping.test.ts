import { describe, expect, it } from 'vitest'
import type { MappingRule } from '../../src/config/types.ts'
import type { EnrichedEvent } from '../../src/event.ts'
import { dictionary, unknownField } from '../../src/pipeline/dictionary.ts'
import { compileMapping } from '../../src/pipeline/field-mapping.ts'
import type { PipelineProblem } from '../../src/pipeline/filter.ts'
import { makeEvent } from '../fixtures/events.ts'

function compile(rules: unknown[]) {
  const problems: PipelineProblem[] = []
  const apply = compileMapping(
    rules as MappingRule[],
    ['mapping'],
    (path, message) => problems.push({ path, message }),
    dictionary(),
    (path) => unknownField(dictionary(), path),
  )
  return { apply, problems }
}

function mapping(rules: unknown[]) {
  const { apply, problems } = compile(rules)
  expect(problems).toEqual([])
  return apply as (event: EnrichedEvent) => EnrichedEvent
}

const quartile = (percent: number) =>
  makeEvent({ type: 'milestone', milestone: { kind: 'percent', percent, position_ms: 1 } })

describe('field mapping', () => {
  it('renames, copies, drops and sets fields, in order, without mutating the input', () => {
    const event = makeEvent({ client_ip: '203.0.113.0' })
    const before = structuredClone(event)
    const out = mapping([
      { rename: { from: 'client_ip', to: 'ip_address' } },
      { copy: { from: 'content.id', to: 'asset.id' } },
      { drop: ['page.referrer', 'device'] },
      { set: { field: 'custom.env', value: 'production' } },
      { set: { field: 'labels', value: { team: 'video' } } },
      { rename: { from: 'seek.to_ms', to: 'x' } },
    ])(event)
    expect(out).not.toHaveProperty('client_ip')
    expect(out).not.toHaveProperty('device')
    expect(out).not.toHaveProperty('x')
    expect(out).toMatchObject({
      ip_address: '203.0.113.0',
      asset: { id: 'ep-4711' },
      content: { id: 'ep-4711' },
      custom: { env: 'production' },
      labels: { team: 'video' },
      page: { url: 'https://www.example.com/watch/ep-4711' },
    })
    expect((out.page as Record<string, unknown>).referrer).toBeUndefined()
    expect(event).toEqual(before)
  })

  it('gives every event its own copy of an object set as a constant', () => {
    const apply = mapping([{ set: { field: 'labels', value: { team: 'video' } } }])
    const a = apply(makeEvent())
    const b = apply(makeEvent())
    expect(a.labels).toEqual(b.labels)
    expect(a.labels).not.toBe(b.labels)
  })

  it('renders templates; missing values render empty and double braces are literal', () => {
    const apply = mapping([
      { template: { field: 'title_line', template: '{content.title} ({content.id})' } },
      { template: { field: 'braces', template: '{{{content.id}}} {content.season}|{player.playhead_ms}' } },
    ])
    const out = apply(makeEvent())
    expect(out.title_line).toBe('The Long Night (ep-4711)')
    expect(out.braces).toBe('{ep-4711} |5900')
  })

  it('renames event types, with from and a when condition', () => {
    const apply = mapping([
      {
        rename_type: { from: 'milestone', to: 'First Quartile' },
        when: { field: 'milestone.percent', eq: 25 },
      },
      { rename_type: { to: 'Midpoint' }, when: { field: 'milestone.percent', eq: 50 } },
    ])
    expect(apply(quartile(25)).type).toBe('First Quartile')
    expect(apply(quartile(50)).type).toBe('Midpoint')
    expect(apply(quartile(75)).type).toBe('milestone')
    expect(apply(makeEvent({ type: 'playing' })).type).toBe('playing')
  })

  it('guards any rule with when, evaluated on the event as earlier rules left it', () => {
    const apply = mapping([
      { set: { field: 'custom.live', value: true }, when: { field: 'content.stream_type', eq: 'live' } },
      { copy: { from: 'custom.live', to: 'is_live' } },
      { set: { field: 'flag', value: 1 }, when: { field: 'is_live', eq: true } },
    ])
    expect(apply(makeEvent())).not.toHaveProperty('flag')
    expect(apply(makeEvent({ content: { stream_type: 'live' } }))).toMatchObject({ is_live: true, flag: 1 })
  })

  it('reports bad rules: actions, protected fields, unknown sources, templates and types', () => {
    const { problems } = compile([
      { rename: { from: 'event_id', to: 'id' } },
      { set: { field: 'type', value: 'x' } },
      { drop: ['view_id', 'page.referer'] },
      { template: { field: 'x', template: '{content.title' } },
      { template: { field: 'x', template: 'a } b' } },
      { rename_type: { from: 'milestones', to: 'Q1' } },
      { set: { field: 'a', value: 1 }, drop: ['b'] },
      { when: { field: 'type', eq: 'x' } },
      { copy: { from: 'event_id', to: 'id' } },
      { copy: { from: 'id', to: 'id2' } },
    ])
    expect(problems).toEqual([
      {
        path: ['mapping', 0, 'rename', 'from'],
        message: '"event_id" identifies the event and cannot be renamed',
      },
      {
        path: ['mapping', 1, 'set', 'field'],
        message: '"type" identifies the event and cannot be overwritten (use rename_type)',
      },
      { path: ['mapping', 2, 'drop', 0], message: '"view_id" identifies the event and cannot be dropped' },
      {
        path: ['mapping', 2, 'drop', 1],
        message: 'unknown field "page.referer" (did you mean "page.referrer"?)',
      },
      { path: ['mapping', 3, 'template', 'template'], message: expect.stringMatching(/unclosed "\{"/) },
      { path: ['mapping', 4, 'template', 'template'], message: expect.stringMatching(/unmatched "\}"/) },
      {
        path: ['mapping', 5, 'rename_type', 'from'],
        message: 'unknown event type "milestones" (did you mean "milestone"?)',
      },
      { path: ['mapping', 6], message: 'one action per rule, found drop, set' },
      { path: ['mapping', 7], message: expect.stringMatching(/needs one action/) },
    ])
  })

  it('lets later rules read the fields earlier rules created', () => {
    const { problems } = compile([
      { copy: { from: 'content.id', to: 'asset.id' } },
      { rename: { from: 'asset.id', to: 'asset_id' } },
      { template: { field: 'label', template: '{asset_id}!' } },
      { copy: { from: 'label', to: 'label2' } },
    ])
    expect(problems).toEqual([])
    expect(compile([{ copy: { from: 'asset_id', to: 'x' } }]).problems).toEqual([
      { path: ['mapping', 0, 'copy', 'from'], message: 'unknown field "asset_id"' },
    ])
  })
})
