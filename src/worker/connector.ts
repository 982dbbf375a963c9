import type { TSchema } from '@sinclair/typebox'
import type { Logger } from 'pino'
import type { Dispatcher } from 'undici'
import type { EnrichedEvent } from '../event.ts'

/**
 * The contract every connector implements. A connector only knows its vendor: it declares its settings,
 * turns an event into a vendor record, says what request(s) a batch becomes and reads the vendor's answer.
 * Batching, dedupe keys, record sizes, exclusions, timeouts, retries, pauses, offsets, dead letters, the
 * circuit breaker and metrics belong to the runtime in src/worker/.
 */

/** Per-item result of `send`, in the same order as the batch. */
export type Outcome =
  | { kind: 'delivered' }
  | { kind: 'retry'; reason: string; status?: number; afterMs?: number }
  | { kind: 'rejected'; reason: string; status?: number; body?: string }
  /**
   * The destination refuses every request until an operator or a clock acts (credentials refused, quota
   * exhausted). The runtime holds offsets, dead-letters nothing, probes every `afterMs` (or its default
   * interval) and resumes by itself.
   */
  | { kind: 'paused'; cause: PauseCause; reason: string; status?: number; afterMs?: number }

/** Why a destination refuses everything: bad or revoked credentials, or an exhausted quota. */
export type PauseCause = 'credentials' | 'quota'

/** Returned by `transform` when the connector has nothing to send for an event. */
export const SKIP: unique symbol = Symbol('skip')
export type Skip = typeof SKIP

export interface BatchLimits {
  /** Vendor's maximum number of items per request. */
  maxItems: number
  /** Vendor's maximum encoded request size in bytes. */
  maxBytes: number
  /**
   * How long a batch may wait to fill, when the destination wants larger, rarer writes than the config's
   * sub-second linger (an object store rolling files each minute). Offsets still wait for the write.
   */
  lingerMs?: number
}

export interface SendContext<Settings, Resources = unknown> {
  settings: Settings
  /** What `open` returned for this connector instance (SDK clients, pools); undefined without `open`. */
  resources: Resources
  /** Shared keep-alive pool for this connector instance; pass as `dispatcher` to undici.request. */
  http: Dispatcher
  /** Aborted when the runtime gives up on the request (request_timeout_ms, shutdown). */
  signal: AbortSignal
  log: Logger
  /** The connector instance's name from the config. */
  name: string
}

export interface BatchItem<VendorRecord> {
  record: VendorRecord
  event: EnrichedEvent
  /** The vendor's idempotency key for the event: its `event_id`, set by the runtime. */
  dedupeKey: string
}

export interface OpenContext {
  log: Logger
  /** The connector instance's name from the config. */
  name: string
}

/** One HTTP request exactly as it goes on the wire. */
export interface HttpCall {
  kind: 'http'
  method: 'POST' | 'PUT'
  url: string
  headers: Record<string, string>
  body: string | Buffer
}

/** A call through a vendor SDK or driver that builds its own wire request: the operation and its input. */
export interface SdkCall {
  kind: 'sdk'
  /** The SDK or protocol, e.g. "@aws-sdk/client-kinesis" or "PostgreSQL". */
  client: string
  /** The operation, e.g. "PutRecords" or the SQL statement. */
  operation: string
  /** The endpoint or resource the call goes to. */
  target: string
  params: unknown
}

/** An item `send` would refuse without any call (the vendor would refuse it, or lose it), and why. */
export interface Refusal {
  kind: 'refused'
  event_id: string
  reason: string
}

export type PlannedCall = HttpCall | SdkCall | Refusal

export interface ConnectorDefinition<
  Settings = Record<string, unknown>,
  VendorRecord = unknown,
  Resources = unknown,
> {
  type: string
  description: string
  /**
   * TypeBox schema of `settings` (Settings is its Static<> type), applied with defaults at config load.
   * Declare it with the blocks of src/config/blocks.ts (docs/config.md).
   */
  settingsSchema: TSchema
  /** Limits of the vendor API, possibly narrowed by settings. */
  limits(settings: Settings): BatchLimits
  /** Pure and synchronous: testable without I/O. */
  transform(event: EnrichedEvent, settings: Settings): VendorRecord | Skip
  /** Encoded size of one record, used to respect `maxBytes`; the runtime defaults to its JSON length + 1. */
  recordBytes?(record: VendorRecord): number
  /**
   * The exact call(s) `send` would make for this batch, without any I/O: no socket, no client, no file.
   * `framewire config test` prints them; `send` is built on the same code, so the two cannot drift.
   */
  plan(batch: BatchItem<VendorRecord>[], settings: Settings): Promise<PlannedCall[]>
  /**
   * Sends one batch and returns exactly one outcome per item. Throwing applies to the whole batch: the
   * runtime classifies network errors and timeouts as retryable.
   */
  send(batch: BatchItem<VendorRecord>[], ctx: SendContext<Settings, Resources>): Promise<Outcome[]>
  /**
   * Creates long-lived clients (an SDK client, a database pool) once per connector instance, when its
   * worker starts. A throw fails the start, so bad settings surface at once.
   */
  open?(settings: Settings, ctx: OpenContext): Promise<Resources>
  /** Releases what `open` created, after the worker has drained. */
  close?(resources: Resources): Promise<void>
}

export function defineConnector<Settings, VendorRecord, Resources = unknown>(
  definition: ConnectorDefinition<Settings, VendorRecord, Resources>,
): ConnectorDefinition<Settings, VendorRecord, Resources> {
  return definition
}
