import { createHmac } from 'node:crypto'
import { isIPv4, isIPv6 } from 'node:net'
import type { PrivacyConfig } from '../config/types.ts'
import type { EnrichedEvent } from '../event.ts'
import { PROTECTED_FIELDS } from './dictionary.ts'
import { type EventStep, runSteps } from './event-steps.ts'
import { type FieldCheck, fieldPath, type ProblemSink } from './filter.ts'
import {
  deletePath,
  getPath,
  isPlainObject,
  type Path,
  type PlainObject,
  setPath,
  withField,
} from './paths.ts'

/**
 * Privacy, per connector:
 *   - `ip`: `anonymize` (default) keeps the /24 of an IPv4 address (203.0.113.77 → 203.0.113.0) and the /48
 *     of an IPv6 one (2001:db8:abcd:12::1 → 2001:db8:abcd::), enough for geo and ISP lookups but not for
 *     singling out a household; `drop` removes `client_ip`; `keep` passes it unchanged.
 *   - `user_ids`: `keep` (default), `hash` (HMAC-SHA256 keyed with `user_id_salt`, hex) or `drop`, applied
 *     to `user.id` and `user.anonymous_id` (both identify a person across sessions).
 *   - `allow_fields`: when set, only these paths (and everything below them) stay, plus the protected
 *     identity fields; `deny_fields`: these paths are removed.
 */

export const USER_ID_FIELDS: readonly Path[] = [
  ['user', 'id'],
  ['user', 'anonymous_id'],
]
const CLIENT_IP: Path = ['client_ip']
/** HMAC keys shorter than this are too easy to guess, which would make the hashes reversible. */
export const MIN_SALT_LENGTH = 16

/** The /24 (IPv4) or /48 (IPv6) network of an address; undefined when it is not an IP address. */
export function anonymizeIp(ip: string): string | undefined {
  const address = ip.replace(/%.*$/, '')
  if (isIPv4(address)) return address.replace(/\.\d+$/, '.0')
  if (!isIPv6(address)) return undefined
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return `::ffff:${(mapped[1] as string).replace(/\.\d+$/, '.0')}`
  const groups = expandIpv6(address)
  if (!groups) return undefined
  return formatIpv6([...groups.slice(0, 3), 0, 0, 0, 0, 0])
}

/** The eight 16-bit groups of an IPv6 address (with an embedded IPv4 tail converted). */
function expandIpv6(address: string): number[] | undefined {
  let text = address.toLowerCase()
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)))
  const left = parse(head)
  const right = tail === undefined ? [] : parse(tail)
  const missing = 8 - left.length - right.length
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined
  return [...left, ...Array<number>(missing).fill(0), ...right]
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of zero groups (≥ 2) as "::". */
function formatIpv6(groups: number[]): string {
  let bestStart = -1
  let bestLength = 0
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < groups.length && groups[j] === 0) j++
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i]
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestLength < 2) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`
}

/** HMAC-SHA256 of a user id keyed with the connector's salt, as hex. */
export function hashUserId(salt: string, id: string): string {
  return createHmac('sha256', salt).update(id).digest('hex')
}

/**
 * Remembers recent results: a view's events share its user ids and client address, so most lookups hit.
 * Bounded by clearing when full (cheaper than an LRU, and a refill costs one computation per key).
 */
function memo<R>(compute: (key: string) => R, max = 10_000): (key: string) => R {
  const cache = new Map<string, R>()
  return (key) => {
    let value = cache.get(key)
    if (value === undefined && !cache.has(key)) {
      if (cache.size >= max) cache.clear()
      value = compute(key)
      cache.set(key, value)
    }
    return value as R
  }
}

type Tree = Map<string, Tree | true>

/** Builds the allow tree; a path allows everything below it. */
function allowTree(paths: Path[]): Tree {
  const root: Tree = new Map()
  for (const path of [...paths, ...PROTECTED_FIELDS.map((f) => [f])]) {
    let node = root
    for (const [index, key] of path.entries()) {
      const existing = node.get(key)
      if (existing === true) break
      if (index === path.length - 1) {
        node.set(key, true)
        break
      }
      const next: Tree = existing ?? new Map()
      node.set(key, next)
      node = next
    }
  }
  return root
}

function project(value: PlainObject, tree: Tree): PlainObject {
  const out: PlainObject = {}
  for (const [key, sub] of tree) {
    if (!Object.hasOwn(value, key)) continue
    const child = value[key]
    if (sub === true) out[key] = child
    else if (isPlainObject(child)) {
      const inner = project(child, sub)
      if (Object.keys(inner).length > 0) out[key] = inner
    }
  }
  return out
}

/** Compiles the privacy settings; undefined when they change nothing. */
export function compilePrivacy(
  config: PrivacyConfig,
  at: (string | number)[],
  report: ProblemSink,
  check: FieldCheck,
): ((event: EnrichedEvent, owned?: boolean) => EnrichedEvent) | undefined {
  const { ip, user_ids: userIds, user_id_salt: salt } = config
  if (userIds === 'hash' && (salt === undefined || salt.length < MIN_SALT_LENGTH)) {
    report(
      [...at, 'user_id_salt'],
      `user_ids: hash needs a user_id_salt of at least ${MIN_SALT_LENGTH} characters (read it from the environment: \${USER_ID_SALT})`,
    )
  }
  const paths = (list: string[] | undefined, key: string) =>
    (list ?? []).flatMap((text, index) => {
      const path = fieldPath(text, [...at, key, index], report, check)
      return path ? [path] : []
    })
  const allowed = config.allow_fields ? allowTree(paths(config.allow_fields, 'allow_fields')) : undefined
  const denied = paths(config.deny_fields, 'deny_fields')
  denied.forEach((path, index) => {
    if (path.length === 1 && PROTECTED_FIELDS.includes(path[0] as string)) {
      report([...at, 'deny_fields', index], `"${path[0]}" identifies the event and cannot be removed`)
    }
  })

  // Each step may change the top-level object in place when `owned` (see compile-pipeline.ts).
  const steps: EventStep[] = []
  if (allowed) steps.push((event) => project(event, allowed))
  for (const path of denied) steps.push((event, owned) => deletePath(event, path, owned))
  if (ip === 'drop') steps.push((event, owned) => deletePath(event, CLIENT_IP, owned))
  if (ip === 'anonymize') {
    const anonymize = memo(anonymizeIp)
    steps.push((event, owned) => {
      const value = event.client_ip
      if (value === undefined) return event
      const anonymized = typeof value === 'string' ? anonymize(value) : undefined
      return anonymized === undefined
        ? deletePath(event, CLIENT_IP, owned)
        : withField(event, 'client_ip', anonymized, owned)
    })
  }
  if (userIds === 'drop') {
    for (const path of USER_ID_FIELDS) steps.push((event, owned) => deletePath(event, path, owned))
  }
  if (userIds === 'hash' && salt) {
    const hash = memo((id) => hashUserId(salt, id))
    for (const path of USER_ID_FIELDS) {
      steps.push((event, owned) => {
        const id = getPath(event, path)
        if (id === undefined || id === null) return event
        return setPath(event, path, hash(typeof id === 'string' ? id : JSON.stringify(id)), owned)
      })
    }
  }
  if (steps.length === 0) return undefined
  return runSteps(steps)
}
