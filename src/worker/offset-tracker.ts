/**
 * Knows, per partition, which consumed records have a final outcome (delivered, dead-lettered or skipped)
 * and therefore how far the consumer group may commit: up to the first record still pending, never past it.
 */

interface PartitionLog {
  topic: string
  partition: number
  /** Records in offset order; entries before `head` are done. */
  entries: Ticket[]
  head: number
  firstSeen: bigint
  highestSeen: bigint
  committed: bigint | undefined
}

/** One consumed record; pass it back to `done` once the record has its final outcome. */
export interface Ticket {
  readonly offset: bigint
  /** Bus append time of the record, epoch ms. */
  readonly at: number
  done: boolean
  /** The log the ticket belongs to; a revoke replaces it, which makes older tickets inert. */
  readonly log: PartitionLog
}

export interface CommitPosition {
  topic: string
  partition: number
  /** First offset not yet done, i.e. what the group commits. */
  nextOffset: bigint
}

/** Done entries are dropped from the front once this many accumulate. */
const COMPACT_AFTER = 1024

export class OffsetTracker {
  #logs = new Map<string, PartitionLog>()
  /** Which log a due position came from, so a commit finishing after a revoke does not touch a newer log. */
  #dueFrom = new WeakMap<CommitPosition, PartitionLog>()

  /** Records must be tracked in the order the bus delivers them (offset order per partition). */
  track(topic: string, partition: number, offset: bigint, at = Date.now()): Ticket {
    const key = partitionKey(topic, partition)
    let log = this.#logs.get(key)
    if (!log) {
      log = {
        topic,
        partition,
        entries: [],
        head: 0,
        firstSeen: offset,
        highestSeen: offset,
        committed: undefined,
      }
      this.#logs.set(key, log)
    }
    const ticket: Ticket = { offset, at, done: false, log }
    log.entries.push(ticket)
    if (offset > log.highestSeen) log.highestSeen = offset
    return ticket
  }

  done(ticket: Ticket): void {
    ticket.done = true
    const log = ticket.log
    while (log.head < log.entries.length && log.entries[log.head]?.done) log.head++
    if (log.head >= COMPACT_AFTER) {
      log.entries.splice(0, log.head)
      log.head = 0
    }
  }

  /** Partitions whose committable position moved past their last commit. */
  commitsDue(): CommitPosition[] {
    const due: CommitPosition[] = []
    for (const log of this.#logs.values()) {
      const nextOffset = log.entries[log.head]?.offset ?? log.highestSeen + 1n
      if (nextOffset > (log.committed ?? log.firstSeen)) {
        const position = { topic: log.topic, partition: log.partition, nextOffset }
        this.#dueFrom.set(position, log)
        due.push(position)
      }
    }
    return due
  }

  /** Records a successful commit of a position from `commitsDue`, so it is not due again. */
  committed(position: CommitPosition): void {
    const log = this.#dueFrom.get(position)
    if (log && (log.committed === undefined || position.nextOffset > log.committed))
      log.committed = position.nextOffset
  }

  /** Forgets revoked partitions: their pending tickets no longer count and their commits are no longer due. */
  forget(topic: string, partitions: number[]): void {
    for (const partition of partitions) this.#logs.delete(partitionKey(topic, partition))
  }

  /** Records consumed but not committed yet, over all partitions (a lower bound of the true lag). */
  lag(): number {
    let lag = 0n
    for (const log of this.#logs.values()) {
      lag += log.highestSeen + 1n - (log.committed ?? log.firstSeen)
    }
    return Number(lag)
  }

  /** Append time of the oldest record still without a final outcome, over all partitions. */
  oldestPendingAt(): number | undefined {
    let oldest: number | undefined
    for (const log of this.#logs.values()) {
      const at = log.entries[log.head]?.at
      if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at
    }
    return oldest
  }
}

const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`
