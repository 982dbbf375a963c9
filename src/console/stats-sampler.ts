import type { Logger } from 'pino'
import { type StatsSnapshot, statsBetween, takeSnapshot } from '../observability/connector-stats.ts'
import type { StatsSample } from './protocol.ts'

/**
 * Samples this process's connector metrics once a second and hands on each second's figures. The first
 * snapshot only sets the baseline: a rate needs two.
 */
export function sampleConnectorStats(
  logger: Logger,
  onSample: (sample: StatsSample) => void,
  intervalMs = 1000,
): () => void {
  let previous: StatsSnapshot | undefined
  const timer = setInterval(async () => {
    try {
      const now = await takeSnapshot()
      if (previous) {
        onSample({ at: now.at, connectors: statsBetween(previous, now) })
      }
      previous = now
    } catch (err) {
      logger.warn({ err }, 'console: connector stats unavailable')
    }
  }, intervalMs)
  return () => clearInterval(timer)
}
