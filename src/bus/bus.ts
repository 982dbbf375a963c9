/**
 * The bus is the durable log between ingest and connector workers. Kafka is the first implementation;
 * an embedded one follows, so nothing outside `src/bus/` may depend on Kafka specifics.
 */

export type Headers = Record<string, string>

export interface OutgoingRecord {
  topic: string
  /** Records with the same key keep their order (one partition). */
  key: string
  value: Buffer
  headers?: Headers
}

export interface ConsumedRecord {
  topic: string
  partition: number
  /** Offset of this record; commit `offset + 1` once it has a final outcome. */
  offset: bigint
  key: string | null
  value: Buffer
  headers: Headers
  /** Broker append time in epoch ms. */
  timestamp: number
}

export interface TopicSpec {
  topic: string
  partitions: number
  replicationFactor: number
  /** Replicas an acks=all write needs (Kafka's min.insync.replicas); the embedded bus has one copy. */
  minInsyncReplicas?: number
}

export interface ConsumeOptions {
  group: string
  topics: string[]
  /** Where a group with no committed offset starts. */
  fromBeginning: boolean
  /**
   * Called once per record, in offset order within a partition. The bus does not fetch past a record of
   * that partition until the returned promise settles, which is how callers apply backpressure.
   */
  onRecord(record: ConsumedRecord): Promise<void>
  /** Called when partitions are taken away, so the caller can forget their in-flight state. */
  onRevoke?(topic: string, partitions: number[]): void
}

export interface Subscription {
  /** Commits `nextOffset` (the first offset not yet done) for one partition. */
  commit(topic: string, partition: number, nextOffset: bigint): Promise<void>
  /** False until the consumer first joined its group and got its partitions (or none). */
  readonly joined: boolean
  pause(): void
  resume(): void
  stop(): Promise<void>
}

export interface Bus {
  /** `beforeCreate` is told how many brokers are up before any topic is created, and may refuse. */
  ensureTopics(specs: TopicSpec[], options?: { beforeCreate?(brokers: number): void }): Promise<void>
  /** Resolves only once every record is durably acknowledged; rejects if any is not. */
  append(records: OutgoingRecord[]): Promise<void>
  subscribe(options: ConsumeOptions): Promise<Subscription>
  /** Rejects when the bus cannot currently accept writes. */
  ping(): Promise<void>
  close(): Promise<void>
}
