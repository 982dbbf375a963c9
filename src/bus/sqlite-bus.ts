import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { Logger } from 'pino'
import { Histogram } from 'prom-client'
import { FAST_BUCKETS, registry } from '../observability/metrics.ts'
import type { Bus, ConsumeOptions, OutgoingRecord, Subscription, TopicSpec } from './bus.ts'
import { partitionOf } from './partition-of.ts'
import { processAlive } from './process-alive.ts'
import { GroupMember } from './sqlite-consumer.ts'
import { openSqliteLog, type PendingCommit, type PendingRecord, type Topic } from './sqlite-log.ts'
import { enforceRetention } from './sqlite-retention.ts'

export interface SqliteBusOptions {
  path: string
  retentionMs: number
  retentionBytes: number
  logger: Logger
  /** How often retention runs (default one minute). */
  retentionIntervalMs?: number
}

const writeSeconds = new Histogram({
  name: 'framewire_bus_write_seconds',
  help: 'Embedded bus: duration of one write transaction (appends and commits of one event-loop turn, fsync included).',
  buckets: FAST_BUCKETS,
  registers: [registry],
})
const recordsPerWrite = new Histogram({
  name: 'framewire_bus_records_per_write',
  help: 'Embedded bus: records appended by one write transaction (group commit).',
  buckets: [0, 1, 10, 50, 100, 500, 1000, 5000],
  registers: [registry],
})

/** A group's lease outlives its owner by at most this; a dead owner on this host is detected at once. */
const LEASE_MS = 15_000

interface Waiter {
  resolve(): void
  reject(err: unknown): void
}

/**
 * The embedded bus: a partitioned, append-only log with per-group offsets in one SQLite file, for a
 * single process that runs both ingest and workers (or for tools beside it on the same file).
 *
 * Group commit: appends and offset commits of one event-loop turn share one transaction, so one fsync
 * acknowledges every concurrent request. Consumer groups are balanced among the members in this process;
 * a lease in the file keeps a second process from consuming the same group.
 */
export function openSqliteBus(options: SqliteBusOptions): Bus {
  const logger = options.logger.child({ component: 'sqlite-bus' })
  const log = openSqliteLog(options.path)
  const owner = `${hostname()}:${process.pid}:${randomUUID()}`
  const topics = new Map<string, Topic>()
  const groups = new Map<string, GroupMember[]>()
  const appendWaiters = new Map<number, Set<() => void>>()
  let closed = false

  let pendingRecords: PendingRecord[] = []
  let pendingCommits = new Map<string, PendingCommit>()
  let waiters: Waiter[] = []
  /** The flush queued for the end of this event-loop turn, if any. */
  let scheduled: NodeJS.Immediate | undefined

  const topicOf = (name: string): Topic => {
    const cached = topics.get(name) ?? log.topic(name)
    if (!cached) throw new Error(`topic "${name}" does not exist on the embedded bus`)
    topics.set(name, cached)
    return cached
  }

  const flush = () => {
    scheduled = undefined
    const [records, commits, settled] = [pendingRecords, [...pendingCommits.values()], waiters]
    ;[pendingRecords, pendingCommits, waiters] = [[], new Map(), []]
    const started = performance.now()
    try {
      log.write(records, commits)
      writeSeconds.observe((performance.now() - started) / 1000)
      recordsPerWrite.observe(records.length)
    } catch (err) {
      logger.error({ err, records: records.length }, 'embedded bus write failed')
      for (const w of settled) w.reject(err)
      return
    }
    for (const w of settled) w.resolve()
    for (const topicId of new Set(records.map((r) => r.topicId))) wake(topicId)
  }

  /** Everything queued in this turn of the event loop goes into one transaction. */
  const enqueue = (records: PendingRecord[], commit?: PendingCommit): Promise<void> => {
    if (closed) return Promise.reject(new Error('the embedded bus is closed'))
    pendingRecords.push(...records)
    if (commit) pendingCommits.set(`${commit.group}\0${commit.topicId}\0${commit.partition}`, commit)
    scheduled ??= setImmediate(flush)
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }))
  }

  const wake = (topicId: number) => {
    const set = appendWaiters.get(topicId)
    if (!set) return
    appendWaiters.delete(topicId)
    for (const resolve of set) resolve()
  }

  const waitForAppend = (topicId: number, ms: number) =>
    new Promise<void>((resolve) => {
      const set = appendWaiters.get(topicId) ?? new Set()
      appendWaiters.set(topicId, set)
      const done = () => {
        clearTimeout(timer)
        set.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      set.add(done)
    })

  const holdLease = (group: string) =>
    log.statements.setLease.run(group, owner, process.pid, hostname(), Date.now() + LEASE_MS)

  const takeLease = log.db.transaction((group: string) => {
    const lease = log.statements.lease.get(group)
    const ownerGone = lease?.host === hostname() && !processAlive(lease.pid)
    if (lease && lease.owner !== owner && lease.expires_at > Date.now() && !ownerGone)
      throw new Error(
        `consumer group "${group}" is in use by process ${lease.pid} on ${lease.host}; one process per group on the embedded bus`,
      )
    holdLease(group)
  })

  const renewLeases = setInterval(() => {
    for (const group of groups.keys()) {
      try {
        holdLease(group)
      } catch (err) {
        logger.warn({ err, group }, 'could not renew consumer group lease')
      }
    }
  }, LEASE_MS / 3)
  renewLeases.unref()

  const retention = setInterval(() => {
    try {
      enforceRetention(log, { maxAgeMs: options.retentionMs, maxBytes: options.retentionBytes })
    } catch (err) {
      logger.warn({ err }, 'retention sweep failed')
    }
  }, options.retentionIntervalMs ?? 60_000)
  retention.unref()

  /** Spreads the group's partitions over its members in join order, round-robin. */
  const rebalance = (group: string) => {
    const members = groups.get(group) ?? []
    const names = [...new Set(members.flatMap((m) => m.options.topics))].sort()
    const all = names.flatMap((name) => {
      const topic = topicOf(name)
      return Array.from({ length: topic.partitions }, (_, partition) => ({ topic, partition }))
    })
    const assignment = new Map(members.map((m) => [m, [] as typeof all]))
    all.forEach((position, n) => {
      const eligible = members.filter((m) => m.options.topics.includes(position.topic.name))
      assignment.get(eligible[n % eligible.length] as GroupMember)?.push(position)
    })
    for (const [member, positions] of assignment) member.assign(positions)
  }

  const leave = (member: GroupMember) => {
    const group = member.options.group
    const members = (groups.get(group) ?? []).filter((m) => m !== member)
    member.stop()
    if (members.length > 0) {
      groups.set(group, members)
      rebalance(group)
      return
    }
    groups.delete(group)
    if (!closed) log.statements.dropLease.run(group, owner)
  }

  return {
    async ensureTopics(specs: TopicSpec[]) {
      for (const spec of specs) topics.set(spec.topic, log.ensureTopic(spec.topic, spec.partitions))
    },

    async append(records: OutgoingRecord[]) {
      if (records.length === 0) return
      const pending = records.map((r): PendingRecord => {
        const topic = topicOf(r.topic)
        return {
          topicId: topic.id,
          partition: partitionOf(r.key, topic.partitions),
          key: r.key,
          value: r.value,
          headers: r.headers,
        }
      })
      await enqueue(pending)
    },

    async subscribe(opts: ConsumeOptions): Promise<Subscription> {
      for (const name of opts.topics) topicOf(name)
      if (!groups.has(opts.group)) takeLease(opts.group)
      const member = new GroupMember(opts, { log, logger, waitForAppend })
      groups.set(opts.group, [...(groups.get(opts.group) ?? []), member])
      rebalance(opts.group)
      let stopped = false
      return {
        // Membership is assigned synchronously above: there is no join to wait for.
        joined: true,
        async commit(topicName, partition, nextOffset) {
          const topic = topicOf(topicName)
          // A partition that moved to another member is that member's to commit now.
          if (stopped || !member.owns(topic, partition)) return
          await enqueue([], {
            group: opts.group,
            topicId: topic.id,
            partition,
            nextOffset: Number(nextOffset),
          })
        },
        pause: () => member.pause(),
        resume: () => member.resume(),
        async stop() {
          if (stopped) return
          stopped = true
          leave(member)
        },
      }
    },

    async ping() {
      if (closed) throw new Error('the embedded bus is closed')
    },

    async close() {
      if (closed) return
      for (const members of groups.values()) for (const m of [...members]) leave(m)
      // Written now rather than at the end of the turn, when the file is closed.
      if (scheduled) {
        clearImmediate(scheduled)
        flush()
      }
      closed = true
      clearInterval(renewLeases)
      clearInterval(retention)
      for (const topicId of [...appendWaiters.keys()]) wake(topicId)
      log.close()
    },
  }
}
