/**
 * For vendors that keep every delivery (Datadog, New Relic, Splunk HEC, GA4, a webhook receiver): tells a
 * repeat of an id kept before, so a test can count what at-least-once delivery stored twice.
 */
export function redeliveries() {
  const seen = new Set<string>()
  let repeats = 0
  return {
    /** Notes a kept item's id; true when an item with this id was kept before. No id is never a repeat. */
    note(id: string | undefined): boolean {
      if (id === undefined) return false
      if (seen.has(id)) {
        repeats += 1
        return true
      }
      seen.add(id)
      return false
    },
    /** What the stand-in exposes to tests. */
    counts: {
      /** Distinct ids kept. */
      uniqueCount: () => seen.size,
      /** Items kept whose id had been kept before. */
      duplicateCount: () => repeats,
    },
  }
}
