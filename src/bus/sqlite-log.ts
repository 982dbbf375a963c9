import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import type { Headers } from './bus.ts'

/**
 * The embedded bus's storage: one SQLite file in WAL mode with `synchronous=FULL`, so a committed
 * transaction is on disk (fsync of the WAL) before the append that carried it resolves.
 *
 * Tables:
 *   - topics: name → id and partition count
 *   - partitions: the next offset of each partition, kept apart from the records so retention can delete
 *     every record without offsets ever being reused
 *   - records: the log; (topic_id, partition, offset) is unique
 *   - group_offsets: the committed next offset of each consumer group and partition
 *   - group_leases: which process consumes a group, so two processes never consume one group twice
 */

export interface StoredRecord {
  offset: number
  key: string | null
  value: Buffer
  headers: string | null
  ts: number
}

export interface PendingRecord {
  topicId: number
  partition: number
  key: string
  value: Buffer
  headers: Headers | undefined
}

export interface PendingCommit {
  group: string
  topicId: number
  partition: number
  nextOffset: number
}

export interface Topic {
  id: number
  name: string
  partitions: number
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS topics (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, partitions INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS partitions (
  topic_id INTEGER NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
  PRIMARY KEY (topic_id, partition)) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
  id INTEGER PRIMARY KEY, topic_id INTEGER NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
  key TEXT, value BLOB NOT NULL, headers TEXT, ts INTEGER NOT NULL) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS records_position ON records (topic_id, partition, offset);
CREATE TABLE IF NOT EXISTS group_offsets (
  grp TEXT NOT NULL, topic_id INTEGER NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
  PRIMARY KEY (grp, topic_id, partition)) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_leases (
  grp TEXT PRIMARY KEY, owner TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL,
  expires_at INTEGER NOT NULL) STRICT;
`

export type SqliteLog = ReturnType<typeof openSqliteLog>

export function openSqliteLog(path: string) {
  mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  // Another process (the dlq CLI, a second worker) may hold the write lock for a moment.
  db.pragma('busy_timeout = 5000')
  db.exec(SCHEMA)

  const statements = {
    topicByName: db.prepare<[string], Topic>('SELECT id, name, partitions FROM topics WHERE name = ?'),
    insertTopic: db.prepare('INSERT OR IGNORE INTO topics (name, partitions) VALUES (?, ?)'),
    insertPartition: db.prepare(
      'INSERT OR IGNORE INTO partitions (topic_id, partition, next_offset) VALUES (?, ?, 0)',
    ),
    nextOffset: db.prepare<[number, number], { next_offset: number }>(
      'SELECT next_offset FROM partitions WHERE topic_id = ? AND partition = ?',
    ),
    setNextOffset: db.prepare('UPDATE partitions SET next_offset = ? WHERE topic_id = ? AND partition = ?'),
    insertRecord: db.prepare(
      'INSERT INTO records (topic_id, partition, offset, key, value, headers, ts) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    read: db.prepare<[number, number, number, number], StoredRecord>(
      `SELECT offset, key, value, headers, ts FROM records
       WHERE topic_id = ? AND partition = ? AND offset >= ? ORDER BY offset LIMIT ?`,
    ),
    lowWatermark: db.prepare<[number, number], { offset: number }>(
      'SELECT offset FROM records WHERE topic_id = ? AND partition = ? ORDER BY offset LIMIT 1',
    ),
    committed: db.prepare<[string, number, number], { next_offset: number }>(
      'SELECT next_offset FROM group_offsets WHERE grp = ? AND topic_id = ? AND partition = ?',
    ),
    commit: db.prepare(
      `INSERT INTO group_offsets (grp, topic_id, partition, next_offset) VALUES (?, ?, ?, ?)
       ON CONFLICT (grp, topic_id, partition) DO UPDATE SET next_offset = excluded.next_offset`,
    ),
    firstAtOrAfter: db.prepare<[number, number, number], { offset: number }>(
      `SELECT offset FROM records WHERE topic_id = ? AND partition = ? AND ts >= ?
       ORDER BY offset LIMIT 1`,
    ),
    deleteBelow: db.prepare(
      `DELETE FROM records WHERE id IN (SELECT id FROM records
       WHERE topic_id = ? AND partition = ? AND offset < ? ORDER BY offset LIMIT ?)`,
    ),
    lease: db.prepare<[string], { owner: string; pid: number; host: string; expires_at: number }>(
      'SELECT owner, pid, host, expires_at FROM group_leases WHERE grp = ?',
    ),
    setLease: db.prepare(
      `INSERT INTO group_leases (grp, owner, pid, host, expires_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (grp) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, host = excluded.host,
       expires_at = excluded.expires_at`,
    ),
    dropLease: db.prepare('DELETE FROM group_leases WHERE grp = ? AND owner = ?'),
    allTopics: db.prepare<[], Topic>('SELECT id, name, partitions FROM topics'),
  }

  /** Appends and commits in one transaction: concurrent callers share its fsync. */
  const write = db.transaction((records: PendingRecord[], commits: PendingCommit[], now: number) => {
    // The next offset of each partition this transaction appends to, keyed `topicId:partition`.
    const next = new Map<string, { topicId: number; partition: number; offset: number }>()
    for (const r of records) {
      const position = `${r.topicId}:${r.partition}`
      let lane = next.get(position)
      if (!lane) {
        const offset = statements.nextOffset.get(r.topicId, r.partition)?.next_offset
        if (offset === undefined)
          throw new Error(`partition ${r.partition} of topic ${r.topicId} does not exist`)
        lane = { topicId: r.topicId, partition: r.partition, offset }
        next.set(position, lane)
      }
      const headers = r.headers && Object.keys(r.headers).length > 0 ? JSON.stringify(r.headers) : null
      statements.insertRecord.run(r.topicId, r.partition, lane.offset++, r.key, r.value, headers, now)
    }
    for (const lane of next.values()) statements.setNextOffset.run(lane.offset, lane.topicId, lane.partition)
    for (const c of commits) statements.commit.run(c.group, c.topicId, c.partition, c.nextOffset)
  })

  const ensureTopic = db.transaction((name: string, partitions: number): Topic => {
    statements.insertTopic.run(name, partitions)
    const topic = statements.topicByName.get(name) as Topic
    for (let p = 0; p < topic.partitions; p++) statements.insertPartition.run(topic.id, p)
    return topic
  })

  // Appends are fsynced before they are acknowledged. A transaction of offset commits alone is not: losing
  // one to a power cut only redelivers records, and skipping its fsync keeps consumers' commits cheap. (A
  // process crash loses neither: the WAL write is in the OS already.)
  let synchronous: 'FULL' | 'NORMAL' = 'FULL'
  const setSynchronous = (mode: typeof synchronous) => {
    if (mode === synchronous) return
    db.pragma(`synchronous = ${mode}`)
    synchronous = mode
  }

  return {
    db,
    statements,
    /** Runs one write transaction (BEGIN IMMEDIATE: the offsets it reads cannot change under it). */
    write(records: PendingRecord[], commits: PendingCommit[]) {
      setSynchronous(records.length > 0 ? 'FULL' : 'NORMAL')
      write.immediate(records, commits, Date.now())
    },
    ensureTopic,
    topic: (name: string) => statements.topicByName.get(name),
    read: (topicId: number, partition: number, from: number, limit: number) =>
      statements.read.all(topicId, partition, from, limit),
    /** The first offset still stored, or the next offset when the partition is empty. */
    lowWatermark(topicId: number, partition: number): number {
      return (
        statements.lowWatermark.get(topicId, partition)?.offset ??
        statements.nextOffset.get(topicId, partition)?.next_offset ??
        0
      )
    },
    highWatermark: (topicId: number, partition: number) =>
      statements.nextOffset.get(topicId, partition)?.next_offset ?? 0,
    committed: (group: string, topicId: number, partition: number) =>
      statements.committed.get(group, topicId, partition)?.next_offset,
    /** Bytes of pages in use (the file does not shrink; freed pages are reused). */
    usedBytes(): number {
      const pages = db.pragma('page_count', { simple: true }) as number
      const free = db.pragma('freelist_count', { simple: true }) as number
      return (pages - free) * (db.pragma('page_size', { simple: true }) as number)
    },
    close: () => db.close(),
  }
}
