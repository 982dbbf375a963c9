import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { connectorTypes } from '../../connectors/index.ts'
import { localUrl } from '../app/local-url.ts'
import { startFramewire } from '../app/start.ts'
import { parseConfig } from '../config/load.ts'
import type { FramewireConfig } from '../config/types.ts'
import { type DevReceiver, startDevReceiver } from './dev-receiver.ts'
import { banner, summaryTable } from './report.ts'
import { runStats, takeRunSnapshot } from './run-stats.ts'
import { startSimulatedPlayers } from './simulated-players.ts'
import { waitForDrain } from './wait-for-drain.ts'

export interface DevOptions {
  config: string
  demo: boolean
  /** Ends the run after this many seconds; without it, only a signal does. */
  durationSeconds?: number
  players: number
  seed: number
}

/** The env var through which the example config's webhook connector finds the dev receiver. */
export const RECEIVER_ENV = 'FRAMEWIRE_DEV_RECEIVER'
const FLUSH_MS = 5_000

/**
 * `framewire dev`: ingest, workers and console in one process, a local receiver for the example webhook,
 * optionally simulated players; at the end (duration or SIGINT/SIGTERM), a summary of what went through.
 */
export async function runDev(options: DevOptions, logger: Logger): Promise<void> {
  // Registered first: a Ctrl-C during start-up still ends in a summary. A second one quits at once.
  const signalled = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  // A receiver named in the environment is the user's own; otherwise this process provides one.
  const receiver = process.env[RECEIVER_ENV]
    ? undefined
    : await startDevReceiver({ host: '127.0.0.1', port: 0, log: logger })
  const env = receiver ? { ...process.env, [RECEIVER_ENV]: receiver.url } : process.env
  const config = parseConfig(readFileSync(options.config, 'utf8'), options.config, connectorTypes, env)
  config.console.enabled = true
  if (receiver) trustWebhookSecrets(config, receiver)

  const running = await startFramewire(config, 'all', logger)
  const ingestUrl = localUrl(running.ingest?.address ?? '')
  const writeKey = config.sources[0]?.write_key ?? ''
  const start = await takeRunSnapshot()
  const players = options.demo
    ? startSimulatedPlayers({
        url: ingestUrl,
        writeKey,
        players: options.players,
        seed: options.seed,
        flushMs: FLUSH_MS,
        log: logger,
      })
    : undefined
  console.log(
    banner({
      ingestUrl,
      writeKey,
      ...(running.ingest?.console ? { consoleUrl: running.ingest.console.url } : {}),
      bus:
        config.bus.type === 'embedded'
          ? `embedded (SQLite) in ${config.bus.path}`
          : `Kafka at ${config.kafka.brokers.join(', ')}`,
      connectors: config.connectors.map((c) => ({ name: c.name, type: c.type, target: target(c, receiver) })),
      ...(options.demo
        ? { demo: { players: options.players, seed: options.seed, flushSeconds: FLUSH_MS / 1000 } }
        : {}),
      ...(options.durationSeconds === undefined ? {} : { durationSeconds: options.durationSeconds }),
    }),
  )

  const timeUp = new AbortController()
  const reason = await Promise.race([
    signalled,
    ...(options.durationSeconds === undefined
      ? []
      : [elapsed(options.durationSeconds * 1000, timeUp.signal)]),
  ])
  timeUp.abort()
  logger.info({ reason }, 'dev run ending: stopping the players, then waiting for the pipeline to drain')
  await players?.stop()
  const stopped = await takeRunSnapshot()
  await waitForDrain(running.workers)
  const stats = runStats(start, stopped, await takeRunSnapshot())

  const connectors = config.connectors.map((c) => ({ name: c.name, type: c.type }))
  const demo = players ? { count: options.players, views: players.stats.viewsStarted } : undefined
  console.log(summaryTable(stats, connectors, demo))
  logger.info({ summary: { ...stats, players: players?.stats } }, 'dev run summary')
  await running.stop()
  await receiver?.close()
}

/** The example webhook's secret, so the receiver checks signatures as a real endpoint would. */
function trustWebhookSecrets(config: FramewireConfig, receiver: DevReceiver) {
  for (const c of config.connectors) {
    const settings = c.settings as { url?: unknown; secret?: unknown }
    if (c.type === 'webhook' && settings.url === receiver.url && typeof settings.secret === 'string')
      receiver.trust(settings.secret)
  }
}

function target(c: FramewireConfig['connectors'][number], receiver: DevReceiver | undefined): string {
  const settings = c.settings as { path?: unknown; url?: unknown }
  if (c.type === 'file') return String(settings.path)
  if (receiver && settings.url === receiver.url)
    return `${receiver.url} (the dev receiver, checks signatures)`
  return typeof settings.url === 'string' ? settings.url : c.type
}

async function elapsed(ms: number, signal: AbortSignal): Promise<string> {
  await sleep(ms, undefined, { signal }).catch(() => undefined)
  return 'duration'
}
