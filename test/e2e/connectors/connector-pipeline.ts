import { afterAll, beforeAll } from 'vitest'
import { startPipeline, testConfig } from '../../helpers/pipeline.ts'

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
 *     const { destination: s, pipeline } = e2e
 *   })
 */

export type Pipeline = Awaited<ReturnType<typeof startPipeline>>

export interface ConnectorUnderTest {
  name: string
  type: string
  settings: Record<string, unknown>
  circuit_breaker?: { open_ms: number }
}

/** Short backoffs, so a scripted fault costs the test little time. */
const FAST_RETRY = { initial_backoff_ms: 50, max_backoff_ms: 1000 }

/** The config's `connectors:` block with just this connector (JSON is YAML). */
export function connectorYaml(connector: ConnectorUnderTest): string {
  return `\nconnectors:\n  - ${JSON.stringify({ ...connector, retry: FAST_RETRY })}\n`
}

export function connectorPipeline<D extends { close(): Promise<void> }>(
  startDestination: () => Promise<D>,
  connector: (destination: D) => ConnectorUnderTest,
): { readonly destination: D; readonly pipeline: Pipeline } {
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
  }
}
