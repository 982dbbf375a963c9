/**
 * Dotted field paths (`content.stream_type`, `user.consent.analytics`) into events: parse once, then get,
 * set and delete. Setting and deleting copy the objects along the path (copy on write), so the original
 * event stays unchanged while a new one is derived; only the top-level object may be changed in place,
 * when the caller owns it (`inPlace`), which saves copying an event's twenty-odd keys per write.
 */

export type Path = readonly string[]

/** One segment: letters, digits, `_` and `-` (keys of `custom` and of the custom event's `data`). */
const SEGMENT = /^[A-Za-z0-9_-]+$/
/** Segments that would reach the prototype chain when written. */
const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor'])

export type PlainObject = Record<string, unknown>

export const isPlainObject = (value: unknown): value is PlainObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Splits a dotted path; returns a reason instead when it is not one. */
export function parsePath(text: string): Path | string {
  if (text === '') return 'empty field path'
  const parts = text.split('.')
  for (const part of parts) {
    if (part === '') return `"${text}" has an empty segment`
    if (!SEGMENT.test(part)) return `"${text}": segment "${part}" may only hold letters, digits, _ and -`
    if (FORBIDDEN.has(part)) return `"${text}": segment "${part}" is not allowed`
  }
  return parts
}

/** The value at `path`, or undefined when any step is missing (own properties only). */
export function getPath(value: unknown, path: Path): unknown {
  let node = value
  for (const key of path) {
    if (!isPlainObject(node) || !Object.hasOwn(node, key)) return undefined
    node = node[key]
  }
  return node
}

/** A getter specialised for the path's depth: filters call it once or more per event. */
export function compileGetter(path: Path): (value: unknown) => unknown {
  const [a, b, c] = path
  const own = (node: unknown, key: string) =>
    isPlainObject(node) && Object.hasOwn(node, key) ? node[key] : undefined
  if (path.length === 1 && a !== undefined) return (value) => own(value, a)
  if (path.length === 2 && a !== undefined && b !== undefined) return (value) => own(own(value, a), b)
  if (path.length === 3 && a !== undefined && b !== undefined && c !== undefined) {
    return (value) => own(own(own(value, a), b), c)
  }
  return (value) => getPath(value, path)
}

/**
 * A copy of `root` with `value` at `path`. Missing or non-object steps become objects; only the objects
 * along the path are copied, the rest is shared with the input.
 */
export function setPath<T extends PlainObject>(root: T, path: Path, value: unknown, inPlace = false): T {
  const write = (node: unknown, depth: number): PlainObject => {
    const copy: PlainObject =
      depth === 0 && inPlace ? (node as PlainObject) : isPlainObject(node) ? { ...node } : {}
    const key = path[depth] as string
    copy[key] = depth === path.length - 1 ? value : write(copy[key], depth + 1)
    return copy
  }
  return path.length === 0 ? root : (write(root, 0) as T)
}

/** A copy of `root` without `path`; `root` itself when there is nothing to delete (or `inPlace`). */
export function deletePath<T extends PlainObject>(root: T, path: Path, inPlace = false): T {
  const remove = (node: PlainObject, depth: number): PlainObject => {
    const key = path[depth] as string
    if (!Object.hasOwn(node, key)) return node
    const last = depth === path.length - 1
    const child = node[key]
    if (!last && !isPlainObject(child)) return node
    const updated = last ? undefined : remove(child as PlainObject, depth + 1)
    if (!last && updated === child) return node
    if (depth === 0 && inPlace) {
      if (last) delete node[key]
      else node[key] = updated
      return node
    }
    if (last) {
      const { [key]: _removed, ...rest } = node
      return rest
    }
    return { ...node, [key]: updated }
  }
  return path.length === 0 ? root : (remove(root, 0) as T)
}

/** A top-level write: in place when the caller owns the object, otherwise on a copy. */
export function withField<T extends PlainObject>(root: T, key: string, value: unknown, inPlace: boolean): T {
  if (!inPlace) return { ...root, [key]: value }
  ;(root as PlainObject)[key] = value
  return root
}
