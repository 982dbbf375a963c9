import { type DedupeStore, PENDING } from './dedupe.ts'

interface Entry {
  value: string
  expiresAt: number
}

/**
 * Claims in this process's memory, for a single process without Redis. The window is bounded twice: by
 * the TTL and by `maxKeys`, past which the oldest written keys are forgotten first, so memory stays
 * bounded at any event rate (about 150 bytes a key). Nothing survives a restart.
 */
export function memoryDedupeStore(maxKeys: number, now: () => number = Date.now): DedupeStore {
  // A Map iterates in insertion order; re-inserting on every write keeps the oldest writes first.
  const entries = new Map<string, Entry>()
  const put = (key: string, entry: Entry) => {
    entries.delete(key)
    entries.set(key, entry)
    for (const oldest of entries.keys()) {
      if (entries.size <= maxKeys) break
      entries.delete(oldest)
    }
  }
  const live = (key: string, at: number) => {
    const entry = entries.get(key)
    if (entry && entry.expiresAt <= at) entries.delete(key)
    return entry && entry.expiresAt > at ? entry : undefined
  }
  return {
    async claim(keys, pendingTtlSeconds) {
      const at = now()
      return keys.map((key) => {
        const previous = live(key, at)
        if (previous) return previous.value
        put(key, { value: PENDING, expiresAt: at + pendingTtlSeconds * 1000 })
        return ''
      })
    },
    async mark(keys, value, ttlSeconds) {
      const at = now()
      for (const key of keys) {
        if (value === '') entries.delete(key)
        else put(key, { value, expiresAt: at + ttlSeconds * 1000 })
      }
    },
  }
}
