import type { Logger } from 'pino'
import type { Dispatcher } from 'undici'
import type { EnrichedEvent } from '../event.ts'

/**
 * The contract every connector implements. A connector only knows its vendor: it declares its settings,
 * turns an event into a vendor record and sends a batch. Batching, retries, offsets, dead letters, the
 * circuit breaker and metrics belong to the runtime in src/worker/.
 */

/** Per-item result of `send`, in the same order as the batch. */
export type Outcome =
  | { kind: 'delivered' }
  | { kind: 'retry'; reason: string; status?: number; afterMs?: number }
  | { kind: 'rejected'; reason: string; status?: number; body?: string }

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
  /** Aborted when the runtime gives up on the request (timeout, shutdown). */
  signal: AbortSignal
  log: Logger
  /** The connector instance's name from the config. */
  name: string
}

export interface BatchItem<VendorRecord> {
  record: VendorRecord
  event: EnrichedEvent
  dedupeKey: string
}

export interface OpenContext {
  log: Logger
  /** The connector instance's name from the config. */
  name: string
}

export interface ConnectorDefinition<
  Settings = Record<string, unknown>,
  VendorRecord = unknown,
  Resources = unknown,
> {
  type: string
  description: string
  /**
   * JSON Schema (draft 2020-12) of `settings`; applied with defaults at config load. Declare it with TypeBox and
   * the blocks of src/config/blocks.ts, and take `Settings` from `Static<>` (docs/config.md).
   */
  settingsSchema: Record<string, unknown>
  /** Limits of the vendor API, possibly narrowed by settings. */
  limits(settings: Settings): BatchLimits
  /** The vendor's idempotency key for an event, so redeliveries after a crash are dropped there. */
  dedupeKey(event: EnrichedEvent): string
  /** Pure and synchronous: testable without I/O. */
  transform(event: EnrichedEvent, settings: Settings): VendorRecord | Skip
  /** Encoded size of one record, used to respect `maxBytes`; defaults to its JSON length. */
  recordBytes?(record: VendorRecord): number
  /**
   * Sends one batch and returns one outcome per item. Throwing applies to the whole batch: the runtime
   * classifies network errors and timeouts as retryable.
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
