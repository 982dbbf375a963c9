import { describe, expect, it } from 'vitest'
import type { FilterCondition } from '../../src/config/types.ts'
import { dictionary, unknownField } from '../../src/pipeline/dictionary.ts'
import { compileFilter, type PipelineProblem } from '../../src/pipeline/filter.ts'
import { makeEvent } from '../fixtures/events.ts'

const check = (path: readonly string[]) => unknownField(dictionary(), path)

function compile(condition: unknown) {
  const problems: PipelineProblem[] = []
  const predicate = compileFilter(
    condition as FilterCondition,
    ['filter'],
    (path, message) => problems.push({ path, message }),
    check,
  )
  return { predicate, problems }
}

function matches(condition: unknown, event: unknown): boolean {
  const { predicate, problems } = compile(condition)
  expect(problems).toEqual([])
  return predicate(event)
}

const live = makeEvent({ content: { id: 'c1', stream_type: 'live', duration_ms: 0 } })
const stall = makeEvent({
  type: 'buffer_start',
  buffer: { cause: 'stall', during_ad: false },
  player: { name: 'Shaka Player', bitrate_kbps: 2400 },
})

describe('filter conditions', () => {
  it('compares strictly with eq, ne and in', () => {
    expect(matches({ field: 'content.stream_type', eq: 'live' }, live)).toBe(true)
    expect(matches({ field: 'content.stream_type', eq: 'vod' }, live)).toBe(false)
    expect(matches({ field: 'content.stream_type', ne: 'vod' }, live)).toBe(true)
    expect(matches({ field: 'content.duration_ms', eq: '0' }, live)).toBe(false)
    expect(matches({ field: 'buffer.cause', in: ['stall', 'seek'] }, stall)).toBe(true)
    expect(matches({ field: 'buffer.cause', in: ['initial'] }, stall)).toBe(false)
    // A missing field equals nothing, so ne matches it.
    expect(matches({ field: 'buffer.cause', eq: 'stall' }, live)).toBe(false)
    expect(matches({ field: 'buffer.cause', ne: 'stall' }, live)).toBe(true)
  })

  it('orders numbers with numbers and strings with strings only', () => {
    expect(matches({ field: 'player.bitrate_kbps', gt: 2000 }, stall)).toBe(true)
    expect(matches({ field: 'player.bitrate_kbps', gte: 2400 }, stall)).toBe(true)
    expect(matches({ field: 'player.bitrate_kbps', lt: 2400 }, stall)).toBe(false)
    expect(matches({ field: 'player.bitrate_kbps', lte: 2400 }, stall)).toBe(true)
    expect(matches({ field: 'player.bitrate_kbps', gt: '1000' }, stall)).toBe(false)
    expect(matches({ field: 'player.name', gte: 'S' }, stall)).toBe(true)
    expect(matches({ field: 'seek.to_ms', lt: 10 }, stall)).toBe(false)
  })

  it('tests presence with exists (null counts as absent) and strings with regex', () => {
    const withNull = makeEvent({ custom: { tier: null, plan: 'gold' } })
    expect(matches({ field: 'custom.plan', exists: true }, withNull)).toBe(true)
    expect(matches({ field: 'custom.tier', exists: true }, withNull)).toBe(false)
    expect(matches({ field: 'custom.tier', exists: false }, withNull)).toBe(true)
    expect(matches({ field: 'buffer', exists: false }, withNull)).toBe(true)
    expect(matches({ field: 'player.name', regex: '^shaka' }, stall)).toBe(false)
    expect(matches({ field: 'player.name', regex: '^shaka', ignore_case: true }, stall)).toBe(true)
    expect(matches({ field: 'player.bitrate_kbps', regex: '2400' }, stall)).toBe(false)
  })

  it('combines with and, or and not', () => {
    const condition = {
      and: [
        {
          or: [
            { field: 'type', eq: 'buffer_start' },
            { field: 'type', eq: 'buffer_end' },
          ],
        },
        { not: { field: 'buffer.during_ad', eq: true } },
      ],
    }
    expect(matches(condition, stall)).toBe(true)
    expect(matches(condition, { ...stall, buffer: { cause: 'stall', during_ad: true } })).toBe(false)
    expect(matches(condition, live)).toBe(false)
  })

  it('reports shape errors, unknown fields and invalid regexes with their paths', () => {
    const { problems } = compile({
      or: [
        { field: 'buffer.casue', eq: 'stall' },
        { field: 'player.name', regex: '(unclosed' },
        { field: 'type', eq: 'a', ne: 'b' },
        { field: 'type' },
        { and: [], field: 'type' },
        { field: 'type', eq: 'a', ignore_case: true },
        { field: 'content.id.x', exists: true },
      ],
    })
    expect(problems).toEqual([
      {
        path: ['filter', 'or', 0, 'field'],
        message: 'unknown field "buffer.casue" (did you mean "buffer.cause"?)',
      },
      {
        path: ['filter', 'or', 1, 'regex'],
        message: expect.stringMatching(/^invalid regular expression: .*/),
      },
      {
        path: ['filter', 'or', 2],
        message: expect.stringMatching(/one operator per condition, found eq, ne/),
      },
      { path: ['filter', 'or', 3], message: expect.stringMatching(/needs one operator/) },
      { path: ['filter', 'or', 4], message: expect.stringMatching(/"and" must be alone/) },
      { path: ['filter', 'or', 5, 'ignore_case'], message: '"ignore_case" only applies to "regex"' },
      { path: ['filter', 'or', 6, 'field'], message: expect.stringMatching(/"content.id" has no fields/) },
    ])
  })

  it('accepts any key below the open custom group and custom event data', () => {
    expect(compile({ field: 'custom.subscription_tier', eq: 'premium' }).problems).toEqual([])
    expect(compile({ field: 'data.target.network', eq: 'x' }).problems).toEqual([])
    expect(compile({ field: 'client_ip', regex: '^10\\.' }).problems).toEqual([])
  })
})
