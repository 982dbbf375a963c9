import { Counter } from 'prom-client'
import { registry } from '../observability/metrics.ts'
import type { SqliteLog } from './sqlite-log.ts'

const expired = new Counter({
  name: 'framewire_bus_expired_records_total',
  help: 'Records the embedded bus deleted by retention, by cause (age or size), delivered or not.',
  labelNames: ['cause'] as const,
  registers: [registry],
})
for (const cause of ['age', 'size']) expired.inc({ cause }, 0)

export interface RetentionLimits {
  maxAgeMs: number
  maxBytes: number
}

/** Rows deleted per transaction, so a large sweep never holds the write lock (and event loop) for long. */
const DELETE_CHUNK = 5000
/** A size sweep trims below the limit by this share, so it does not run again at the next append. */
const SIZE_HEADROOM = 0.1

/**
 * Deletes the oldest records of every partition: those older than the age limit, then, while the file's
 * used pages exceed the size limit, the same share of each partition's oldest records. Like Kafka's
 * retention it ignores consumer positions; a group that falls that far behind skips what was deleted.
 */
export function enforceRetention(log: SqliteLog, limits: RetentionLimits, now = Date.now()): void {
  const partitions = log.statements.allTopics
    .all()
    .flatMap((topic) =>
      Array.from({ length: topic.partitions }, (_, partition) => ({ id: topic.id, partition })),
    )

  const cutoff = now - limits.maxAgeMs
  for (const { id, partition } of partitions) {
    const keepFrom =
      log.statements.firstAtOrAfter.get(id, partition, cutoff)?.offset ?? log.highWatermark(id, partition)
    expired.inc({ cause: 'age' }, deleteBelow(log, id, partition, keepFrom))
  }

  const used = log.usedBytes()
  if (used <= limits.maxBytes) return
  const share = Math.min(1, 1 - (limits.maxBytes * (1 - SIZE_HEADROOM)) / used)
  for (const { id, partition } of partitions) {
    const low = log.lowWatermark(id, partition)
    const high = log.highWatermark(id, partition)
    expired.inc({ cause: 'size' }, deleteBelow(log, id, partition, low + Math.ceil((high - low) * share)))
  }
}

function deleteBelow(log: SqliteLog, topicId: number, partition: number, offset: number): number {
  let total = 0
  for (;;) {
    const { changes } = log.statements.deleteBelow.run(topicId, partition, offset, DELETE_CHUNK)
    total += changes
    if (changes < DELETE_CHUNK) return total
  }
}
