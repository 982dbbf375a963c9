import type { BatchGenerator } from '../lib/batches.ts'
import type { AmplitudeRebuild } from './sink-protocol.ts'

/**
 * Amplitude gets `time` = ts_corrected = ts + (received_at - sent_at), not received_at. If the generator
 * spaces ts a fixed step before sent_at by the event's place in its batch (seq % batch size), received_at =
 * time + (batchSize - seq % batchSize) × step exactly. Checked on generated batches; null if it does not hold.
 */
export function amplitudeRebuild(generator: BatchGenerator): AmplitudeRebuild | null {
  let spacing: number | undefined
  for (let i = 0; i < 512; i++) {
    const body = JSON.parse(generator.next()) as { sent_at: number; events: { ts: number; seq: number }[] }
    if (body.events.length !== generator.batchSize) return null
    for (const e of body.events) {
      const places = generator.batchSize - (e.seq % generator.batchSize)
      const gap = body.sent_at - e.ts
      if (gap % places !== 0) return null
      spacing ??= gap / places
      if (gap / places !== spacing) return null
    }
  }
  return spacing === undefined ? null : { batchSize: generator.batchSize, spacingMs: spacing }
}
