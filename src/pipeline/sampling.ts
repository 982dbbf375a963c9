import type { SamplingConfig } from '../config/types.ts'
import type { Predicate } from './filter.ts'

/**
 * Sampling by view: an event is kept when the hash of its view_id, mapped to [0, 1), is below the rate. All
 * events of a view share the hash, so a view is either all in or all out, and a lower rate keeps a subset
 * of the views a higher rate keeps (nested samples). That holds across event types (`by_type`), across
 * connectors with the same `seed`, across processes and restarts, since the hash depends on nothing else.
 *
 * Hash: FNV-1a 32-bit over the UTF-8 bytes of `seed + view_id` (view ids are ASCII by the dictionary),
 * finalised with murmur3's fmix32 so ids that differ only in their last characters still spread evenly;
 * the result divided by 2^32. Reproducible elsewhere, e.g. in a warehouse to tell which views were kept.
 */

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193
const encoder = new TextEncoder()

/** FNV-1a 32-bit of the UTF-8 bytes of `text`. */
export function fnv1a(text: string): number {
  let hash = FNV_OFFSET
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code >= 0x80) return fnv1aBytes(encoder.encode(text))
    hash = Math.imul(hash ^ code, FNV_PRIME)
  }
  return hash >>> 0
}

function fnv1aBytes(bytes: Uint8Array): number {
  let hash = FNV_OFFSET
  for (const byte of bytes) hash = Math.imul(hash ^ byte, FNV_PRIME)
  return hash >>> 0
}

/** murmur3's 32-bit finaliser: a bijection, so it keeps determinism and only improves the spread. */
export function fmix32(value: number): number {
  let h = value
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Where a view falls in [0, 1). */
export function viewHash(viewId: string, seed = ''): number {
  return fmix32(fnv1a(seed + viewId)) / 0x1_0000_0000
}

/** The event's view position: non-string view ids (never valid at ingest) hash as their JSON text. */
export function eventViewHash(event: { view_id?: unknown }, seed = ''): number {
  const id = event.view_id
  return viewHash(typeof id === 'string' ? id : JSON.stringify(id ?? null), seed)
}

/** Keeps an event when its view falls below the rate of its type; undefined when everything is kept. */
export function compileSampling({ rate, by_type, seed }: SamplingConfig): Predicate | undefined {
  const byType = new Map(Object.entries(by_type ?? {}))
  if (rate >= 1 && [...byType.values()].every((r) => r >= 1)) return undefined
  return (event) => {
    const e = event as { type?: unknown; view_id?: unknown }
    const typeRate = (typeof e.type === 'string' ? byType.get(e.type) : undefined) ?? rate
    if (typeRate >= 1) return true
    if (typeRate <= 0) return false
    return eventViewHash(e, seed) < typeRate
  }
}
