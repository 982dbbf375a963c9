import type { FilterCondition, FilterScalar } from '../config/types.ts'
import { compileGetter, isPlainObject, type Path, parsePath } from './paths.ts'

/**
 * Declarative conditions on event fields, compiled once into closures (no eval, no Function):
 *
 *   { field: content.stream_type, eq: live }
 *   { field: buffer.cause, in: [stall, seek] }
 *   { and: [ { field: player.name, regex: '^hls' }, { not: { field: buffer.during_ad, eq: true } } ] }
 *
 * A condition is exactly one of `and: [...]`, `or: [...]`, `not: {...}`, or a field test: `field` plus one
 * operator among eq, ne, gt, gte, lt, lte, in, exists, regex (`ignore_case: true` may go with regex).
 * Semantics, all strict (no type coercion):
 *   - eq / ne / in: strict equality with a scalar; a missing field equals nothing (so `ne` matches it).
 *   - gt / gte / lt / lte: numbers against a number, strings against a string (code-point order);
 *     any other pairing, or a missing field, is false.
 *   - exists: true when the field is present and not null; `exists: false` matches missing or null.
 *   - regex: JavaScript syntax, tested on string values only (not anchored unless written with ^ $).
 */

export type Predicate = (event: unknown) => boolean

export interface PipelineProblem {
  /** From the config root, e.g. ['connectors', 0, 'filter', 'and', 1, 'regex']. */
  path: (string | number)[]
  message: string
}

export type ProblemSink = (at: (string | number)[], message: string) => void
/** Checks a field path against the dictionary; returns why it is unknown, or undefined. */
export type FieldCheck = (path: Path) => string | undefined

const COMBINATORS = ['and', 'or', 'not'] as const
export const OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'exists', 'regex'] as const
type Operator = (typeof OPERATORS)[number]

const never: Predicate = () => false

/** Parses a field path and checks it, reporting problems at `at`. */
export function fieldPath(
  text: unknown,
  at: (string | number)[],
  report: ProblemSink,
  check?: FieldCheck,
): Path | undefined {
  if (typeof text !== 'string') {
    report(at, 'must be a field path (a string)')
    return undefined
  }
  const path = parsePath(text)
  if (typeof path === 'string') {
    report(at, path)
    return undefined
  }
  const unknown = check?.(path)
  if (unknown) {
    report(at, unknown)
    return undefined
  }
  return path
}

/**
 * Compiles a condition; problems (bad shape, unknown field, invalid regex) go to `report` and the
 * returned predicate is then never used, since the config is rejected.
 */
export function compileFilter(
  condition: FilterCondition,
  at: (string | number)[],
  report: ProblemSink,
  check?: FieldCheck,
): Predicate {
  if (!isPlainObject(condition as unknown)) {
    report(at, 'must be a condition object')
    return never
  }
  const keys = Object.keys(condition)
  const combinators = COMBINATORS.filter((key) => key in condition)
  if (combinators.length > 0) {
    if (keys.length !== 1) {
      report(at, `"${combinators[0]}" must be alone in its condition; found ${keys.join(', ')}`)
      return never
    }
    if (condition.not !== undefined) {
      const inner = compileFilter(condition.not, [...at, 'not'], report, check)
      return (event) => !inner(event)
    }
    const kind = combinators[0] as 'and' | 'or'
    const list = condition[kind]
    if (!Array.isArray(list) || list.length === 0) {
      report([...at, kind], 'must be a non-empty list of conditions')
      return never
    }
    const parts = list.map((item, index) => compileFilter(item, [...at, kind, index], report, check))
    return kind === 'and' ? all(parts) : any(parts)
  }

  if (condition.field === undefined) {
    report(at, 'a condition needs "and", "or", "not", or "field" with an operator')
    return never
  }
  const operators = OPERATORS.filter((key) => key in condition)
  if (operators.length !== 1) {
    report(
      at,
      operators.length === 0
        ? `"field" needs one operator: ${OPERATORS.join(', ')}`
        : `one operator per condition, found ${operators.join(', ')}; combine conditions with "and"`,
    )
    return never
  }
  const operator = operators[0] as Operator
  if (condition.ignore_case !== undefined && operator !== 'regex') {
    report([...at, 'ignore_case'], '"ignore_case" only applies to "regex"')
  }
  const path = fieldPath(condition.field, [...at, 'field'], report, check)
  if (!path) return never
  const get = compileGetter(path)
  const test = compileOperator(operator, condition, [...at, operator], report)
  return (event) => test(get(event))
}

function compileOperator(
  operator: Operator,
  condition: FilterCondition,
  at: (string | number)[],
  report: ProblemSink,
): (value: unknown) => boolean {
  const operand = condition[operator]
  switch (operator) {
    case 'eq':
      return (value) => value === operand
    case 'ne':
      return (value) => value !== operand
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      if (typeof operand !== 'number' && typeof operand !== 'string') {
        report(at, 'must be a number or a string')
        return never
      }
      const compare = COMPARE[operator]
      return (value) => typeof value === typeof operand && compare(value as never, operand as never)
    }
    case 'in': {
      if (!Array.isArray(operand)) {
        report(at, 'must be a list of values')
        return never
      }
      const values = new Set<FilterScalar>(operand)
      return (value) => values.has(value as FilterScalar)
    }
    case 'exists': {
      if (typeof operand !== 'boolean') {
        report(at, 'must be true or false')
        return never
      }
      return operand ? (value) => value !== undefined && value !== null : (value) => value == null
    }
    case 'regex': {
      const regex = compileRegex(operand, condition.ignore_case === true, at, report)
      return regex ? (value) => typeof value === 'string' && regex.test(value) : never
    }
  }
}

const COMPARE = {
  gt: (a: number, b: number) => a > b,
  gte: (a: number, b: number) => a >= b,
  lt: (a: number, b: number) => a < b,
  lte: (a: number, b: number) => a <= b,
}

/** A regex compiled at load: an invalid pattern is a config error naming its position. */
export function compileRegex(
  pattern: unknown,
  ignoreCase: boolean,
  at: (string | number)[],
  report: ProblemSink,
): RegExp | undefined {
  if (typeof pattern !== 'string' || pattern === '') {
    report(at, 'must be a non-empty regular expression')
    return undefined
  }
  try {
    // The "u" flag rejects sloppy escapes and makes the pattern Unicode-aware; no "g", so test() has no state.
    return new RegExp(pattern, ignoreCase ? 'iu' : 'u')
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    report(at, `invalid regular expression: ${reason.replace(/^Invalid regular expression: /, '')}`)
    return undefined
  }
}

function all(parts: Predicate[]): Predicate {
  if (parts.length === 1) return parts[0] as Predicate
  return (event) => {
    for (const part of parts) if (!part(event)) return false
    return true
  }
}

function any(parts: Predicate[]): Predicate {
  if (parts.length === 1) return parts[0] as Predicate
  return (event) => {
    for (const part of parts) if (part(event)) return true
    return false
  }
}
