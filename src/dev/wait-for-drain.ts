import { setTimeout as sleep } from 'node:timers/promises'
import { takeSnapshot } from '../observability/connector-stats.ts'
import type { WorkerGroup } from '../worker/worker-group.ts'

/**
 * Waits until the connectors have settled what the ingest accepted: nothing buffered in the workers and no
 * delivery for `quietMs` (records still in the bus show up as deliveries within a poll). Gives up after
 * `maxMs`, so a destination that is down does not hold the summary back.
 */
export async function waitForDrain(workers: WorkerGroup | undefined, maxMs = 10_000, quietMs = 1_000) {
  const deadline = Date.now() + maxMs
  let settled = -1
  let quietSince = Date.now()
  while (Date.now() < deadline) {
    let total = 0
    for (const c of (await takeSnapshot()).connectors.values()) total += c.delivered + c.deadLettered
    const buffered = workers?.status().some((w) => w.buffered > 0) ?? false
    if (total !== settled || buffered) {
      settled = total
      quietSince = Date.now()
    } else if (Date.now() - quietSince >= quietMs) return
    await sleep(100)
  }
}
