import { setTimeout as sleep } from 'node:timers/promises'
import { openSqliteLog } from '../../src/bus/sqlite-log.ts'
import type { LazyAdmin } from '../lib/kafka-admin.ts'
import type { Framewire } from './framewire.ts'
import { SINK_NAMES, type SinkName } from './sink-protocol.ts'

/**
 * What the bus says about the connectors' consumer groups: whether they have joined, and how far behind
 * they are. From the Kafka admin API, or for the embedded bus from its SQLite file, opened beside the
 * running process.
 */

/**
 * Kafka: every group has a member and is Stable (so warm-up is not a rebalance); embedded: each group holds
 * its lease.
 */
export async function waitGroupsReady(admin: LazyAdmin, fw: Framewire, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  const groups = Object.values(fw.groups)
  if (fw.bus === 'kafka') {
    const a = await admin.get()
    for (;;) {
      const { groups: described } = await a.describeGroups(groups)
      if (described.every((g) => g.state === 'Stable' && g.members.length > 0)) return
      if (Date.now() > deadline) throw new Error(`consumer groups not stable within ${timeoutMs} ms`)
      await sleep(250)
    }
  }
  const log = openSqliteLog(fw.busPath)
  try {
    while (!groups.every((g) => (log.statements.lease.get(g)?.expires_at ?? 0) > Date.now())) {
      if (Date.now() > deadline) throw new Error(`embedded bus groups not subscribed within ${timeoutMs} ms`)
      await sleep(250)
    }
  } finally {
    log.close()
  }
}

/**
 * Records in the topic that each connector's group has not committed: the log end minus the committed
 * offset, summed over partitions. Unlike framewire_connector_consumer_lag_records (consumed but not yet
 * committed), this includes what the worker has not even fetched, so it grows when the worker falls behind.
 */
export async function backlog(admin: LazyAdmin, fw: Framewire): Promise<Record<SinkName, number>> {
  if (fw.bus === 'embedded') return embeddedBacklog(fw)
  const a = await admin.get()
  // Committed offsets first, then the log end: read the other way round, a commit in between could make a
  // backlog negative.
  const committedByGroup = await Promise.all(
    SINK_NAMES.map((name) => a.fetchOffsets({ groupId: fw.groups[name], topics: [fw.topic] })),
  )
  const ends = await a.fetchTopicOffsets(fw.topic)
  const result = {} as Record<SinkName, number>
  for (const [i, name] of SINK_NAMES.entries()) {
    const [committed] = committedByGroup[i] ?? []
    const byPartition = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]))
    let lag = 0
    for (const end of ends) {
      const c = byPartition.get(end.partition) ?? -1
      lag += Number(end.high) - (c >= 0 ? c : Number(end.low))
    }
    result[name] = lag
  }
  return result
}

/** As for Kafka; offsets below retention count from the low end. */
function embeddedBacklog(fw: Framewire): Record<SinkName, number> {
  const log = openSqliteLog(fw.busPath)
  try {
    const topic = log.topic(fw.topic)
    const result = {} as Record<SinkName, number>
    for (const name of SINK_NAMES) {
      let lag = 0
      for (let p = 0; topic && p < topic.partitions; p++) {
        const committed = log.committed(fw.groups[name], topic.id, p) ?? log.lowWatermark(topic.id, p)
        lag += log.highWatermark(topic.id, p) - committed
      }
      result[name] = lag
    }
    return result
  } finally {
    log.close()
  }
}

/** Records in __consumer_offsets: every offset commit (of any group on the broker) appends one per partition. */
export async function offsetCommitRecords(admin: LazyAdmin): Promise<number> {
  const ends = await (await admin.get()).fetchTopicOffsets('__consumer_offsets')
  return ends.reduce((sum, e) => sum + Number(e.high), 0)
}
