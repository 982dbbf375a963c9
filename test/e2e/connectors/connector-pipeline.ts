import { afterAll, beforeAll } from 'vitest'
import type { PlayerEvent } from '../../../src/event.ts'
import { startPipeline, testConfig } from '../../helpers/pipeline.ts'
import { postViews, until } from '../harness.ts'

/**
 * The set-up of an end-to-end connector test: a destination (a vendor stand-in or a local server), and a
 * pipeline (ingest and workers in this process) with one connector pointed at it, started before the file's
 * tests and stopped after them.
 *
 *   const e2e = connectorPipeline(
 *     () => startHeapStandIn({ appId: APP_ID }),
 *     (s) => ({ name: 'heap', type: 'heap', settings: { app_id: APP_ID, server_url: s.endpoint } }),
 *   )
 *   it('…', async () => {
 *     const s = e2e.destination
 *     const events = await e2e.deliver(30, () => s.uniqueCount())
 *   })
 */

export type Pipeline = Awaited<ReturnType<typeof startPipeline>>

export interface ConnectorUnderTest {
  name: string
  type: string
  settings: Record<string, unknown>
}

/** Short backoffs and breaker pauses, so a scripted fault costs the test little time. */
const FAST_RETRY = { initial_backoff_ms: 50, max_backoff_ms: 1000 }
const FAST_CIRCUIT = { open_ms: 500 }

/** The config's `connectors:` block with just this connector (JSON is YAML). */
export function connectorYaml(connector: ConnectorUnderTest): string {
  return `\nconnectors:\n  - ${JSON.stringify({ ...connector, retry: FAST_RETRY, circuit_breaker: FAST_CIRCUIT })}\n`
}

export function connectorPipeline<D extends { close(): Promise<void> }>(
  startDestination: () => Promise<D>,
  connector: (destination: D) => ConnectorUnderTest,
): {
  readonly destination: D
  readonly pipeline: Pipeline
  /** Posts `views` views' events to ingest; resolves with them once `arrived(destination)` counts them all. */
  deliver(views: number, arrived: (destination: D) => number, timeoutMs?: number): Promise<PlayerEvent[]>
} {
  let destination: D | undefined
  let pipeline: Pipeline | undefined
  beforeAll(async () => {
    destination = await startDestination()
    pipeline = await startPipeline(testConfig(connectorYaml(connector(destination))), 'all')
  })
  afterAll(async () => {
    await pipeline?.stop()
    await destination?.close()
  })
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('connectorPipeline: not started (use it inside the tests)')
    return value
  }
  return {
    get destination() {
      return started(destination)
    },
    get pipeline() {
      return started(pipeline)
    },
    async deliver(views, arrived, timeoutMs = 60_000) {
      const d = started(destination)
      const events = await postViews(started(pipeline).url, views)
      await until(`all ${events.length} events`, () => arrived(d) >= events.length, timeoutMs)
      return events
    },
  }
}
