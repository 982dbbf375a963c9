import type { Logger } from 'pino'
import { localUrl } from '../app/local-url.ts'
import type { Bus } from '../bus/bus.ts'
import type { FramewireConfig } from '../config/types.ts'
import type { IngestRejection } from '../ingest/ingest-rejection.ts'
import { consoleToken } from './console-auth.ts'
import { loadBundle } from './console-bundle.ts'
import { ConsoleHub } from './console-hub.ts'
import type { ConsoleRouteDeps } from './console-routes.ts'
import { tailEvents } from './event-tail.ts'
import { refusedRequestItem } from './request-rejections.ts'
import { sampleConnectorStats } from './stats-sampler.ts'

/** Per browser and per kind (accepted, rejected): enough to read along, little enough for any tab. */
export const MAX_ITEMS_PER_SECOND = 50
const RECENT_ITEMS = 200
const RECENT_STATS_SECONDS = 120

export interface ConsoleService extends ConsoleRouteDeps {
  /** Logs where the console is, once the ingest listens on `address` (host:port). */
  announce(address: string): { token: string; url: string }
  /** Subscribed to the ingest's rejections: shows the requests this node refused as a whole. */
  onRejected(rejection: IngestRejection): void
  stop(): Promise<void>
}

/** The console's moving parts: the token, the tail of the bus, the stats sampler and the hub they feed. */
export async function startConsole(
  config: FramewireConfig,
  bus: Bus,
  logger: Logger,
): Promise<ConsoleService> {
  const log = logger.child({ component: 'console' })
  const { token, generated } = consoleToken(config.console.token)
  const hub = new ConsoleHub({
    node: config.node_id,
    recentItems: RECENT_ITEMS,
    recentStats: RECENT_STATS_SECONDS,
    maxItemsPerSecond: MAX_ITEMS_PER_SECOND,
  })
  const bundle = await loadBundle()
  if (!bundle) log.warn('the console page was not built (npm run build:console); /console answers 503')
  const subscription = await tailEvents(bus, config, log, (item) => hub.publish(item))
  const stopSampling = sampleConnectorStats(log, (sample) => hub.publishStats(sample))
  return {
    token,
    hub,
    bundle,
    announce(address) {
      const page = `${localUrl(address)}/console`
      const url = `${page}?token=${encodeURIComponent(token)}`
      // A generated token exists nowhere else: the log is the only way to learn it.
      if (generated) log.info({ url }, 'console ready, with a generated token')
      else log.info({ url: page }, 'console ready (token from the config)')
      return { token, url }
    },
    onRejected(rejection) {
      const item = refusedRequestItem(rejection)
      if (item) hub.publish(item)
    },
    async stop() {
      stopSampling()
      await subscription.stop()
    },
  }
}
