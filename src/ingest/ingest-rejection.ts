import type { ValidationIssue } from '../dictionary/event-validator.ts'
import type { ErrorCode } from '../errors.ts'
import type { Rejection } from './accept-events.ts'

/** What the ingest refused, told to whoever watches it (the console), as structured as it was answered. */
export type IngestRejection =
  | {
      /** POST /v1/events refused as a whole: nothing of it was written. */
      kind: 'request'
      at: number
      /** The source of the write key; undefined when the key is unknown. */
      source: string | undefined
      status: number
      code: ErrorCode
      message: string
      /** Where the body went wrong, when known (a body that is not a batch). */
      errors: readonly ValidationIssue[]
    }
  | {
      /** Events of an accepted batch that failed validation; they went to the invalid topic. */
      kind: 'events'
      at: number
      source: string
      rejected: readonly Rejection[]
    }
