import type { BatchItem } from '../../src/worker/connector.ts'

/**
 * For SDK connectors: refuses a record larger on its own than any request may be, so it is rejected
 * without a request (the vendor would refuse every request carrying it). Pass it to `sendPrechecked`.
 */
export function refuseOversized<R>(
  vendor: string,
  maxBytes: number,
  bytesOf: (record: R) => number,
): (item: BatchItem<R>) => string | undefined {
  return (item) => {
    const bytes = bytesOf(item.record)
    return bytes > maxBytes
      ? `${vendor}: a record of ${bytes} bytes does not fit in one request (at most ${maxBytes} bytes)`
      : undefined
  }
}
