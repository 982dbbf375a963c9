import { isDeepStrictEqual } from 'node:util'
import type { Logger } from 'pino'
import { Counter, Gauge } from 'prom-client'
import { connectorTypes } from '../../connectors/index.ts'
import { ConfigError, parseConfig } from '../config/load.ts'
import type { FramewireConfig } from '../config/types.ts'
import { hashText, watchConfigFile } from '../config/watch.ts'
import { registry } from '../observability/metrics.ts'
import type { Running } from './start.ts'

const reloadFailures = new Counter({
  name: 'framewire_config_reload_failures_total',
  help: 'Config changes that were rejected; the previous config kept running.',
  registers: [registry],
})
const configInfo = new Gauge({
  name: 'framewire_config_info',
  help: 'The config in use: 1 for its content hash.',
  labelNames: ['hash'] as const,
  registers: [registry],
})

/** Parts that only a restart applies: they shape listeners, clients and topics. */
const RESTART_ONLY = [
  'node_id',
  'ingest',
  'worker',
  'bus',
  'kafka',
  'console',
  'topics',
  'produce',
  'redis',
] as const

/** A connector change a reload could not apply; that connector runs as before (or not, if it was new). */
export interface ConnectorFailure {
  connector: string
  error: unknown
}

/**
 * Applies a new, already validated config to a running process: sources at once, connectors by
 * starting, draining or replacing only the workers whose running config differs. Restart-only parts are
 * compared with the config the process started with. Connectors are compared with what actually runs, so
 * a change that failed is tried again by the next reload (SIGHUP) rather than leaving the two out of step.
 * Returns the connector changes that failed; the others are applied.
 */
export async function applyConfig(
  running: Running,
  started: FramewireConfig,
  next: FramewireConfig,
  log: Logger,
): Promise<ConnectorFailure[]> {
  const restartNeeded = RESTART_ONLY.filter((key) => !isDeepStrictEqual(started[key], next[key]))
  if (restartNeeded.length > 0)
    log.warn({ keys: restartNeeded }, 'these config changes apply only after a restart')
  running.ingest?.sources.replace(next.sources)
  const workers = running.workers
  if (!workers) return []
  const before = new Map(workers.configs().map((c) => [c.name, c]))
  const after = new Map(next.connectors.map((c) => [c.name, c]))
  const failures: ConnectorFailure[] = []
  const attempt = async (connector: string, change: () => Promise<void>) => {
    try {
      await change()
    } catch (error) {
      failures.push({ connector, error })
    }
  }
  for (const name of before.keys()) if (!after.has(name)) await attempt(name, () => workers.remove(name))
  for (const [name, config] of after) {
    const old = before.get(name)
    if (!old) await attempt(name, () => workers.add(config))
    else if (!isDeepStrictEqual(old, config)) await attempt(name, () => workers.replace(config))
  }
  return failures
}

/**
 * Watches the config file (and SIGHUP); a valid change is applied, an invalid one is logged and counted.
 * SIGHUP applies the file even when it is unchanged, which retries connectors that failed to start.
 */
export function startConfigReload(
  file: string,
  text: string,
  initial: FramewireConfig,
  running: Running,
  log: Logger,
) {
  let currentHash = hashText(text)
  configInfo.set({ hash: currentHash }, 1)
  let queue = Promise.resolve()
  const stop = watchConfigFile(file, currentHash, (nextText, hash) => {
    queue = queue.then(async () => {
      let next: FramewireConfig
      try {
        next = parseConfig(nextText, file, connectorTypes)
      } catch (err) {
        reloadFailures.inc()
        const problems = err instanceof ConfigError ? err.problems : [{ message: (err as Error).message }]
        log.error({ problems }, 'config change rejected; the previous config keeps running')
        return
      }
      let failures: ConnectorFailure[]
      try {
        failures = await applyConfig(running, initial, next, log)
      } catch (err) {
        // Never reject: the queue would skip every later change.
        reloadFailures.inc()
        log.error({ err }, 'config change failed to apply')
        return
      }
      if (failures.length > 0) {
        reloadFailures.inc()
        for (const { connector, error } of failures)
          log.error(
            { err: error, connector },
            'connector change not applied; the connector runs what it ran before (SIGHUP retries)',
          )
        return
      }
      configInfo.remove({ hash: currentHash })
      configInfo.set({ hash }, 1)
      currentHash = hash
      log.info({ hash, connectors: next.connectors.map((c) => c.name) }, 'config reloaded')
    })
  })
  return {
    stop,
    /** Resolves once every change seen so far has been handled. */
    settled: () => queue,
  }
}
