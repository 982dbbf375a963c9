import type { MappingRule } from '../config/types.ts'
import type { EnrichedEvent } from '../event.ts'
import { type Dictionary, PROTECTED_FIELDS, unknownEventType } from './dictionary.ts'
import { type EventStep, runSteps } from './event-steps.ts'
import { compileFilter, type FieldCheck, fieldPath, type ProblemSink } from './filter.ts'
import { compileGetter, deletePath, getPath, type Path, setPath, withField } from './paths.ts'

/**
 * Field mapping, per connector: an ordered list of rules, each with one action and an optional `when`
 * condition (the filter grammar, evaluated on the event as the previous rules left it):
 *
 *   - rename: { from: client_ip, to: ip_address }       moves a value (nothing happens when it is missing)
 *   - copy: { from: content.id, to: asset_id }          copies a value
 *   - drop: [page.referrer, device.pixel_ratio]         removes fields
 *   - set: { field: custom.env, value: production }     sets a constant (any JSON value)
 *   - template: { field: label, template: '{content.title} ({content.id})' }
 *                                                       placeholders are field paths; missing values render
 *                                                       as ''; write {{ and }} for literal braces
 *   - rename_type: { from: milestone, to: First Quartile }   changes `type` (`from` optional)
 *     when: { field: milestone.percent, eq: 25 }
 *
 * Protected identity fields (event_id, type, ts, session_id, view_id, seq, received_at) cannot be renamed,
 * dropped or overwritten; copying them elsewhere is fine. Mapping never mutates its input, except for the
 * top-level object when the caller says it owns it.
 */

export const MAPPING_ACTIONS = ['rename', 'copy', 'drop', 'set', 'template', 'rename_type'] as const

type TemplatePart = string | ((event: unknown) => unknown)

/** Splits a template into literal text and field getters; reports unbalanced braces. */
export function parseTemplate(
  template: string,
  at: (string | number)[],
  report: ProblemSink,
  check?: FieldCheck,
): TemplatePart[] | undefined {
  const parts: TemplatePart[] = []
  let literal = ''
  for (let i = 0; i < template.length; i++) {
    const char = template[i] as string
    if ((char === '{' || char === '}') && template[i + 1] === char) {
      literal += char
      i++
      continue
    }
    if (char === '}') {
      report(at, `unmatched "}" at position ${i} (write "}}" for a literal brace)`)
      return undefined
    }
    if (char !== '{') {
      literal += char
      continue
    }
    const end = template.indexOf('}', i + 1)
    if (end < 0) {
      report(at, `unclosed "{" at position ${i} (write "{{" for a literal brace)`)
      return undefined
    }
    const path = fieldPath(template.slice(i + 1, end).trim(), at, report, check)
    if (!path) return undefined
    if (literal) parts.push(literal)
    literal = ''
    parts.push(compileGetter(path))
    i = end
  }
  if (literal) parts.push(literal)
  return parts
}

function text(value: unknown): string {
  if (value === undefined || value === null) return ''
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}

export function renderTemplate(parts: TemplatePart[], event: unknown): string {
  let out = ''
  for (const part of parts) out += typeof part === 'string' ? part : text(part(event))
  return out
}

const isProtected = (path: Path) => PROTECTED_FIELDS.includes(path[0] as string)

/** Compiles the rules into one function; undefined when there are none. */
export function compileMapping(
  rules: MappingRule[] | undefined,
  at: (string | number)[],
  report: ProblemSink,
  dict: Dictionary,
  check: FieldCheck,
): ((event: EnrichedEvent, owned?: boolean) => EnrichedEvent) | undefined {
  if (!rules || rules.length === 0) return undefined
  // Fields earlier rules create may be read by later ones.
  const created: Path[] = []
  const readable: FieldCheck = (path) => {
    const related = (target: Path) => target.every((k, i) => i >= path.length || path[i] === k)
    return created.some(related) ? undefined : check(path)
  }
  const steps = rules.map((rule, index) => compileRule(rule, [...at, index], report, dict, readable, created))
  return runSteps(steps)
}

function compileRule(
  rule: MappingRule,
  at: (string | number)[],
  report: ProblemSink,
  dict: Dictionary,
  readable: FieldCheck,
  created: Path[],
): EventStep {
  const identity: EventStep = (event) => event
  const actions = MAPPING_ACTIONS.filter((action) => rule[action] !== undefined)
  if (actions.length !== 1) {
    report(
      at,
      actions.length === 0
        ? `a mapping rule needs one action: ${MAPPING_ACTIONS.join(', ')}`
        : `one action per rule, found ${actions.join(', ')}`,
    )
    return identity
  }
  const action = actions[0] as (typeof MAPPING_ACTIONS)[number]
  const here = [...at, action]
  // Compiled before the action, so it cannot read the field the rule itself creates.
  const when =
    rule.when === undefined ? undefined : compileFilter(rule.when, [...at, 'when'], report, readable)
  const source = (value: unknown, key: string) => {
    const path = fieldPath(value, [...here, key], report, readable)
    if (path && action !== 'copy' && isProtected(path)) {
      report([...here, key], `"${path[0]}" identifies the event and cannot be ${action}d`)
      return undefined
    }
    return path
  }
  const target = (value: unknown, key: string) => {
    const path = fieldPath(value, [...here, key], report)
    if (path && isProtected(path)) {
      report(
        [...here, key],
        `"${path[0]}" identifies the event and cannot be overwritten${path[0] === 'type' ? ' (use rename_type)' : ''}`,
      )
      return undefined
    }
    if (path) created.push(path)
    return path
  }

  const step = ((): EventStep | undefined => {
    switch (action) {
      case 'rename':
      case 'copy': {
        const spec = rule[action] ?? { from: '', to: '' }
        const from = source(spec.from, 'from')
        const to = target(spec.to, 'to')
        if (!from || !to) return undefined
        return (event, owned) => {
          const value = getPath(event, from)
          if (value === undefined) return event
          if (action === 'copy') return setPath(event, to, value, owned)
          const without = deletePath(event, from, owned)
          return setPath(without, to, value, owned || without !== event)
        }
      }
      case 'drop': {
        const list = Array.isArray(rule.drop) ? rule.drop : []
        const paths = list.flatMap((p, i) => {
          const path = fieldPath(p, [...here, i], report, readable)
          if (path && isProtected(path)) {
            report([...here, i], `"${path[0]}" identifies the event and cannot be dropped`)
            return []
          }
          return path ? [path] : []
        })
        return (event, owned) => {
          let out = event
          for (const path of paths) out = deletePath(out, path, owned || out !== event)
          return out
        }
      }
      case 'set': {
        const field = target(rule.set?.field, 'field')
        if (!field) return undefined
        const value = rule.set?.value
        // A shared object could be changed by a destination; scalars are shared as they are.
        if (typeof value === 'object' && value !== null) {
          return (event, owned) => setPath(event, field, structuredClone(value), owned)
        }
        return (event, owned) => setPath(event, field, value, owned)
      }
      case 'template': {
        const parts = parseTemplate(
          String(rule.template?.template ?? ''),
          [...here, 'template'],
          report,
          readable,
        )
        const field = target(rule.template?.field, 'field')
        if (!parts || !field) return undefined
        return (event, owned) => setPath(event, field, renderTemplate(parts, event), owned)
      }
      case 'rename_type': {
        const spec = rule.rename_type ?? { to: '' }
        if (spec.from !== undefined) {
          const unknown = unknownEventType(dict, spec.from)
          if (unknown) report([...here, 'from'], unknown)
        }
        if (typeof spec.to !== 'string' || spec.to === '') {
          report([...here, 'to'], 'must be a non-empty event type name')
          return undefined
        }
        const { from, to } = spec
        return from === undefined
          ? (event, owned) => withField(event, 'type', to, owned)
          : (event, owned) => (event.type === from ? withField(event, 'type', to, owned) : event)
      }
    }
  })()
  if (!step) return identity
  if (!when) return step
  return (event, owned) => (when(event) ? step(event, owned) : event)
}
