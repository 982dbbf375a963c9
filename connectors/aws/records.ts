import type { EnrichedEvent } from '../../src/event.ts'

/**
 * The AWS connectors carry the enriched event unchanged, as JSON: these destinations store bytes, and the
 * data dictionary is the schema their consumers read.
 */

/** The event as compact JSON, without a newline. */
export function eventJson(event: EnrichedEvent): string {
  return JSON.stringify(event)
}

/** The event as one NDJSON line, newline included (Firehose records, lines of S3 objects). */
export function eventLine(event: EnrichedEvent): string {
  return `${JSON.stringify(event)}\n`
}

/** Bytes of a line, newline included. */
export function lineBytes(line: string): number {
  return Buffer.byteLength(line)
}
