import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { configSchema } from '../../src/config/schema.ts'
import { freePort } from '../../test/helpers/free-port.ts'
import type { BatchGenerator } from '../lib/batches.ts'
import { type NodeChild, spawnNode, stopChild, waitHttpOk } from '../lib/children.ts'
import { log } from '../lib/log.ts'
import { serverCpu } from '../lib/pinning.ts'
import type { IngestContext } from './context.ts'
import { measure, type ServerFigures } from './measure.ts'

/** The servers measured: the ceiling and Framewire's ingest, each started, measured and stopped in turn. */

/** produce.linger_ms when the config leaves it out. */
export const DEFAULT_LINGER_MS: number = configSchema.properties.produce.properties.linger_ms.default
/** Distinct pre-rendered bodies the load generator cycles through against the ceiling. */
const CEILING_REPLAY_POOL = 32

export interface Server extends NodeChild {
  url: string
}

/** Starts `node <args>` on the server's CPU, waits for `readyPath`, runs `use`, and stops it. */
async function withServer<T>(
  ctx: IngestContext,
  args: string[],
  name: string,
  readyPath: string,
  port: number,
  use: (server: Server) => Promise<T>,
): Promise<T> {
  const child = spawnNode(args, {
    logFile: join(ctx.run.workDir, `${name}.log`),
    cpu: serverCpu(ctx.run.pinning),
  })
  const server = { ...child, url: `http://127.0.0.1:${port}` }
  try {
    await waitHttpOk(server, server.url + readyPath)
    return await use(server)
  } finally {
    await stopChild(child.child)
  }
}

export async function runCeiling(ctx: IngestContext, generator: BatchGenerator): Promise<ServerFigures> {
  log('ceiling server (Fastify + parse + schema validation, no Kafka/Redis)')
  const port = await freePort()
  const args = ['bench/ingest/ceiling-server.ts', '--port', String(port), '--write-key', ctx.writeKey]
  const replay = ctx.options.ceilingBodies === 'fresh' ? undefined : CEILING_REPLAY_POOL
  return withServer(ctx, args, 'ceiling', '/healthz', port, (server) =>
    measure(ctx, server, generator, false, replay),
  )
}

export interface FramewireVariant {
  label: string
  lingerMs?: number | undefined
  redis: boolean
  bus: 'kafka' | 'embedded'
  /** trace.sampling of the run; off when not given. */
  trace?: 'all'
}

export interface FramewireFigures extends ServerFigures {
  config: {
    linger_ms: number
    linger_is_default: boolean
    redis_dedupe: boolean
    bus: FramewireVariant['bus']
    trace: 'all' | 'off'
    topic: string
  }
}

export async function runFramewire(
  ctx: IngestContext,
  variant: FramewireVariant,
  generator: BatchGenerator,
): Promise<FramewireFigures> {
  log(`framewire ingest (${variant.label})`)
  const { workDir } = ctx.run
  const port = await freePort()
  const topic = `fw.events.${ctx.marker}${variant.label}`
  const config = {
    node_id: 'bench',
    ingest: { host: '127.0.0.1', port },
    bus:
      variant.bus === 'kafka'
        ? { type: 'kafka' }
        : { type: 'embedded', path: join(workDir, `bus-${variant.label}.db`) },
    // The benchmark's broker is a single node.
    kafka: {
      brokers: ctx.options.brokers.split(','),
      client_id: 'framewire-bench',
      replication_factor: 1,
      min_insync_replicas: 1,
    },
    topics: { events: topic, invalid: `fw.invalid.${ctx.marker}${variant.label}` },
    ...(variant.lingerMs === undefined ? {} : { produce: { linger_ms: variant.lingerMs } }),
    redis: { url: variant.redis ? ctx.options.redis : '' },
    ...(variant.trace ? { trace: { sampling: variant.trace } } : {}),
    sources: [{ name: 'bench', write_key: ctx.writeKey }],
  }
  const configFile = join(workDir, `framewire-${variant.label}.yaml`)
  writeFileSync(configFile, stringify(config))
  const args = ['bin/framewire.js', 'start', '--role', 'ingest', '--config', configFile]
  const figures = await withServer(ctx, args, `framewire-${variant.label}`, '/readyz', port, (server) =>
    measure(ctx, server, generator, true),
  )
  return {
    ...figures,
    config: {
      linger_ms: variant.lingerMs ?? DEFAULT_LINGER_MS,
      linger_is_default: variant.lingerMs === undefined,
      redis_dedupe: variant.redis,
      bus: variant.bus,
      trace: variant.trace ?? 'off',
      topic,
    },
  }
}
