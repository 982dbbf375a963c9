import Fastify, { type FastifyServerOptions, LogController } from 'fastify'
import type { Logger } from 'pino'
import type { Bus } from '../bus/bus.ts'
import type { FramewireConfig } from '../config/types.ts'
import { registerOpsRoutes } from '../observability/ops-routes.ts'
import type { WorkerGroup } from '../worker/worker-group.ts'

/** Health and metrics for a worker-only process, which has no ingest server to carry them. */
export async function startOpsServer(
  config: FramewireConfig,
  bus: Bus,
  workers: WorkerGroup,
  logger: Logger,
) {
  const app = Fastify({
    loggerInstance: logger as FastifyServerOptions['loggerInstance'],
    logController: new LogController({ disableRequestLogging: true }),
  })
  registerOpsRoutes(app, async () => {
    await bus.ping()
    return { bus: 'ok', ...workers.checkJoined() }
  })
  await app.listen({ host: config.worker.ops_host, port: config.worker.ops_port })
  return app
}
