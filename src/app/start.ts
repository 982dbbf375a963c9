import type { Logger } from 'pino'
import { connectorTypes } from '../../connectors/index.ts'
import type { Bus } from '../bus/bus.ts'
import { createBus, topicSpec } from '../bus/create-bus.ts'
import type { FramewireConfig } from '../config/types.ts'
import { startTracer } from '../trace/start-tracer.ts'
import { startWorkers, type WorkerGroup } from '../worker/worker-group.ts'
import { replicationCheck } from './check-replication.ts'
import { type RunningIngest, startIngest } from './start-ingest.ts'
import { startOpsServer } from './start-ops-server.ts'

export type Role = 'ingest' | 'worker' | 'all'

export interface Running {
  bus: Bus
  ingest?: RunningIngest
  workers?: WorkerGroup
  /** Stops taking requests first, then drains the workers, so nothing accepted is left behind. */
  stop(): Promise<void>
}

export async function startFramewire(config: FramewireConfig, role: Role, logger: Logger): Promise<Running> {
  const bus = createBus(config, logger)
  if (config.bus.type === 'embedded' && role !== 'all')
    logger.warn(
      { role },
      'the embedded bus is built for one process running ingest and workers; other processes see its appends only by polling (250 ms)',
    )
  await bus
    .ensureTopics([topicSpec(config, config.topics.events), topicSpec(config, config.topics.invalid)], {
      beforeCreate: replicationCheck(config),
    })
    .catch(async (err) => {
      await bus.close()
      throw err
    })
  const tracing = startTracer(config, logger)
  const { tracer } = tracing
  const workers =
    role === 'ingest'
      ? undefined
      : await startWorkers({ config, bus, logger, connectors: connectorTypes, tracer })
  const ingest =
    role === 'worker'
      ? undefined
      : await startIngest(config, bus, logger, workers ? () => workers.checkJoined() : undefined, tracer)
  const ops = workers && !ingest ? await startOpsServer(config, bus, workers, logger) : undefined
  return {
    bus,
    ...(ingest ? { ingest } : {}),
    ...(workers ? { workers } : {}),
    async stop() {
      await ops?.close()
      await ingest?.stop()
      await workers?.stop()
      await tracing.stop()
      await bus.close()
    },
  }
}
