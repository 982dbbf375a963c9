import { expect } from 'vitest'
import type { EnrichedEvent } from '../../src/event.ts'
import type { readTopic } from '../../test/helpers/pipeline.ts'

type PartnerRecord = Awaited<ReturnType<typeof readTopic>>[number]

/**
 * What a partner reads for the connector's records: each keyed by view with the identifying headers and
 * without the client's address, and each view's events in order (one view, one partition).
 */
export function expectPartnerRecords(
  got: PartnerRecord[],
  views: Pick<EnrichedEvent, 'view_id' | 'seq'>[][],
  source: string,
): void {
  for (const record of got) {
    const value = record.value as EnrichedEvent
    expect(record.key).toBe(value.view_id)
    expect(record.headers).toEqual({
      event_id: value.event_id,
      type: value.type,
      source,
      'content-type': 'application/json',
    })
    expect(value).not.toHaveProperty('client_ip')
  }
  for (const view of views) {
    const seqs = got.filter((r) => r.key === view[0]?.view_id).map((r) => (r.value as EnrichedEvent).seq)
    expect(seqs).toEqual(view.map((e) => e.seq))
  }
}
