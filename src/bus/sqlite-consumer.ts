import type { Logger } from 'pino'
import type { ConsumeOptions, Headers } from './bus.ts'
import type { SqliteLog, StoredRecord, Topic } from './sqlite-log.ts'

/** Records read per query; a partition's reader holds at most this many in memory. */
const READ_BATCH = 256
/** Appends by other processes are seen within this; this process's own appends wake readers at once. */
const IDLE_POLL_MS = 250

export interface ReaderContext {
  log: SqliteLog
  logger: Logger
  /** Resolves when `topic` gets new records, or after `ms`. */
  waitForAppend(topicId: number, ms: number): Promise<void>
}

/**
 * One member of a consumer group: the partitions assigned to it, each read by its own loop, in offset
 * order, one record at a time (the caller's promise is the backpressure).
 */
export class GroupMember {
  readonly #readers = new Map<string, PartitionReader>()
  #paused = false
  #resumed: (() => void) | undefined
  #resumeSignal: Promise<void> = Promise.resolve()

  readonly options: ConsumeOptions
  private readonly context: ReaderContext
  constructor(options: ConsumeOptions, context: ReaderContext) {
    this.options = options
    this.context = context
  }

  get paused(): boolean {
    return this.#paused
  }

  /** Waits while the member is paused. */
  untilResumed(): Promise<void> {
    return this.#resumeSignal
  }

  pause(): void {
    if (this.#paused) return
    this.#paused = true
    this.#resumeSignal = new Promise((resolve) => {
      this.#resumed = resolve
    })
  }

  resume(): void {
    if (!this.#paused) return
    this.#paused = false
    this.#resumed?.()
  }

  owns(topic: Topic, partition: number): boolean {
    return this.#readers.has(`${topic.id}:${partition}`)
  }

  /** Starts readers for new partitions and stops (and reports) those no longer assigned. */
  assign(next: { topic: Topic; partition: number }[]): void {
    const keep = new Set(next.map(({ topic, partition }) => `${topic.id}:${partition}`))
    const revoked = new Map<string, number[]>()
    for (const [key, reader] of this.#readers) {
      if (keep.has(key)) continue
      reader.stop()
      this.#readers.delete(key)
      revoked.set(reader.topic.name, [...(revoked.get(reader.topic.name) ?? []), reader.partition])
    }
    for (const [topic, partitions] of revoked) this.options.onRevoke?.(topic, partitions)
    for (const { topic, partition } of next) {
      const key = `${topic.id}:${partition}`
      if (this.#readers.has(key)) continue
      const reader = new PartitionReader(topic, partition, this, this.context)
      this.#readers.set(key, reader)
      void reader.run()
    }
  }

  /** Stops every reader; their current onRecord calls still settle. */
  stop(): void {
    for (const reader of this.#readers.values()) reader.stop()
    this.#readers.clear()
    this.resume()
  }
}

class PartitionReader {
  #stopped = false

  readonly topic: Topic
  readonly partition: number
  private readonly member: GroupMember
  private readonly context: ReaderContext
  constructor(topic: Topic, partition: number, member: GroupMember, context: ReaderContext) {
    this.topic = topic
    this.partition = partition
    this.member = member
    this.context = context
  }

  stop(): void {
    this.#stopped = true
  }

  async run(): Promise<void> {
    const { log } = this.context
    const { group, fromBeginning } = this.member.options
    const id = this.topic.id
    let position =
      log.committed(group, id, this.partition) ??
      (fromBeginning ? log.lowWatermark(id, this.partition) : log.highWatermark(id, this.partition))
    while (!this.#stopped) {
      if (this.member.paused) {
        await this.member.untilResumed()
        continue
      }
      const low = log.lowWatermark(id, this.partition)
      if (position < low) {
        // Like Kafka's auto.offset.reset=earliest: retention removed what this group had not read.
        this.context.logger.warn(
          { group, topic: this.topic.name, partition: this.partition, skipped: low - position },
          'records expired by retention before this group read them',
        )
        position = low
      }
      const rows = log.read(id, this.partition, position, READ_BATCH)
      if (rows.length === 0) {
        await this.context.waitForAppend(id, IDLE_POLL_MS)
        continue
      }
      for (const row of rows) {
        if (this.#stopped || this.member.paused) break
        await this.member.options.onRecord(this.#toRecord(row))
        position = row.offset + 1
      }
    }
  }

  #toRecord(row: StoredRecord) {
    return {
      topic: this.topic.name,
      partition: this.partition,
      offset: BigInt(row.offset),
      key: row.key,
      value: row.value,
      headers: row.headers ? (JSON.parse(row.headers) as Headers) : {},
      timestamp: row.ts,
    }
  }
}
