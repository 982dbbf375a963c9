import { type DedupeStore, DONE, PENDING } from './dedupe.ts'

/**
 * Claims in this process's memory, for a single process without Redis. The window is bounded twice: by
 * the TTL and by `maxKeys`, past which the oldest written keys are forgotten first, so memory stays
 * bounded at any event rate (about 150 bytes a key). Nothing survives a restart.
 */
export function memoryDedupeStore(maxKeys: number, now: () => number = Date.now): DedupeStore {
  // One small integer per key (expiry in seconds since `base`, times two, plus 1 when done) keeps entries
  // at a fraction of the size of objects. A Map iterates in insertion order, and re-inserting on every
  // write keeps the oldest writes first.
  const base = now()
  const entries = new Map<string, number>()
  const encode = (value: string, ttlSeconds: number, at: number) =>
    (Math.ceil((at - base) / 1000) + ttlSeconds) * 2 + (value === DONE ? 1 : 0)
  const put = (key: string, packed: number) => {
    entries.delete(key)
    entries.set(key, packed)
    for (const oldest of entries.keys()) {
      if (entries.size <= maxKeys) break
      entries.delete(oldest)
    }
  }
  /** The key's value while it lives, else undefined (and the key is dropped). */
  const live = (key: string, at: number): string | undefined => {
    const packed = entries.get(key)
    if (packed === undefined) return undefined
    if (Math.floor(packed / 2) * 1000 <= at - base) {
      entries.delete(key)
      return undefined
    }
    return packed % 2 === 1 ? DONE : PENDING
  }
  return {
    async claim(keys, pendingTtlSeconds) {
      const at = now()
      return keys.map((key) => {
        const previous = live(key, at)
        if (previous !== undefined) return previous
        put(key, encode(PENDING, pendingTtlSeconds, at))
        return ''
      })
    },
    async mark(keys, value, ttlSeconds) {
      const at = now()
      for (const key of keys) {
        if (value === '') entries.delete(key)
        else put(key, encode(value, ttlSeconds, at))
      }
    },
  }
}
