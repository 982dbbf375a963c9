import type { TraceStage } from './trace-stages.ts'
import type { TraceStore } from './trace-store.ts'

interface Entry {
  stages: TraceStage[]
  expiresAt: number
}

/**
 * Traces in this process's memory, for one process on the embedded bus. Bounded twice: by `maxEvents`
 * (the least recently written trace goes first; a Map iterates in insertion order and every write
 * re-inserts) and by `maxStages` per event.
 */
export function memoryTraceStore(
  maxEvents: number,
  maxStages: number,
  now: () => number = Date.now,
): TraceStore {
  const entries = new Map<string, Entry>()
  const live = (eventId: string, at: number): Entry | undefined => {
    const entry = entries.get(eventId)
    if (entry && entry.expiresAt <= at) {
      entries.delete(eventId)
      return undefined
    }
    return entry
  }
  return {
    async write(writes) {
      const at = now()
      for (const { eventId, stages, ttlSeconds, keepSeconds } of writes) {
        const entry = live(eventId, at) ?? { stages: [], expiresAt: at + ttlSeconds * 1000 }
        const room = maxStages - entry.stages.length
        if (room > 0) entry.stages.push(...stages.slice(0, room))
        if (keepSeconds > 0) entry.expiresAt = Math.max(entry.expiresAt, at + keepSeconds * 1000)
        entries.delete(eventId)
        entries.set(eventId, entry)
      }
      for (const oldest of entries.keys()) {
        if (entries.size <= maxEvents) break
        entries.delete(oldest)
      }
    },
    async read(eventId) {
      return live(eventId, now())?.stages
    },
  }
}
