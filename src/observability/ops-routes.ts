import type { FastifyInstance } from 'fastify'
import { registry } from './metrics.ts'

/** /healthz, /readyz and /metrics, served by the ingest and by worker-only processes alike. */
export function registerOpsRoutes(app: FastifyInstance, checkReady: () => Promise<Record<string, string>>) {
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_request, reply) => {
    try {
      return { status: 'ready', checks: await checkReady() }
    } catch (err) {
      return reply.code(503).send({ status: 'not_ready', message: (err as Error).message })
    }
  })
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', registry.contentType)
    return registry.metrics()
  })
}
