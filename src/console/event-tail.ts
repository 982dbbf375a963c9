import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { Bus, ConsumedRecord, Subscription } from '../bus/bus.ts'
import type { FramewireConfig } from '../config/types.ts'
import type { ConsoleItem, Issue } from './protocol.ts'

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null)

/** Turns a record of the events or the invalid topic into what the page shows; null for anything else. */
function itemOf(record: ConsumedRecord, topics: FramewireConfig['topics']): ConsoleItem | null {
  const value = JSON.parse(record.value.toString()) as Record<string, unknown>
  if (record.topic === topics.events) {
    return {
      kind: 'accepted',
      at: record.timestamp,
      source: String(value.source),
      type: String(value.type),
      viewId: String(value.view_id),
      event: value,
    }
  }
  if (record.topic === topics.invalid) {
    const raw = (value.raw ?? null) as Record<string, unknown> | null
    return {
      kind: 'rejected',
      at: record.timestamp,
      source: String(value.source),
      type: text(raw?.type),
      viewId: text(raw?.view_id),
      index: typeof value.index === 'number' ? value.index : null,
      errors: Array.isArray(value.errors) ? (value.errors as Issue[]) : [],
      raw,
    }
  }
  return null
}

/**
 * Follows the events and invalid topics from their end, so the console shows what every ingest node
 * accepts or rejects. Its group is new at each start and never commits: it is a reader, not a consumer.
 */
export function tailEvents(
  bus: Bus,
  config: FramewireConfig,
  logger: Logger,
  onItem: (item: ConsoleItem) => void,
): Promise<Subscription> {
  return bus.subscribe({
    group: `${config.kafka.group_prefix}console.${config.node_id}.${randomUUID().slice(0, 8)}`,
    topics: [config.topics.events, config.topics.invalid],
    fromBeginning: false,
    async onRecord(record) {
      try {
        const item = itemOf(record, config.topics)
        if (item) onItem(item)
      } catch (err) {
        logger.debug({ err, topic: record.topic, offset: record.offset }, 'console: unreadable record')
      }
    },
  })
}
