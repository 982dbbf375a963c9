/**
 * What a connector's contract fixture (`connectors/<type>/contract.ts`, default export) gives the contract
 * suite: its stand-in (or real local service), settings pointing at it, and the vendor's own way of saying
 * each thing the suite checks. A fault the vendor's protocol cannot express is `{ unsupported: why }`, and
 * the suite reports it as such; it never passes silently.
 */

export interface SentRequest {
  /** Event ids the request carried, in order. */
  ids: string[]
}

export type Unsupported = { unsupported: string }

export interface ContractTarget {
  /** Settings as a user writes them; the suite applies the schema's defaults. */
  settings: Record<string, unknown>
  /** The requests (or calls) the destination received, in order, faulted ones included. */
  requests(): SentRequest[]
  /** Event ids the destination stored, a repeat listed again (so duplicates show). */
  stored(): Promise<string[]>
  /** The next request is throttled: 429 (or the vendor's equivalent) with Retry-After `seconds`. */
  throttle: ((seconds: number) => void) | Unsupported
  /** The next request fails with a 5xx (or the vendor's "unavailable"). */
  unavailable: (() => void) | Unsupported
  /** The next request's connection is reset. */
  reset: (() => void) | Unsupported
  /** The next request is refused for its credentials (401/403, or the vendor's equivalent). */
  refuseCredentials: (() => void) | Unsupported
  /**
   * The next request fails these events and stores the others, the vendor's partial failure; `failed` is
   * the outcome the connector must give the failed ones.
   */
  partial: { fail(ids: string[]): void; failed: 'retry' | 'rejected' } | Unsupported
  /** Why an oversized record cannot be tested, when it cannot (e.g. no practical per-record limit). */
  oversized?: Unsupported
  stop(): Promise<void>
}

export interface ContractFixture {
  start(): Promise<ContractTarget>
}

export function isUnsupported(value: unknown): value is Unsupported {
  return typeof value === 'object' && value !== null && 'unsupported' in value
}
