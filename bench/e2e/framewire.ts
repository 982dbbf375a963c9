import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { freePort } from '../../test/helpers/free-port.ts'
import { type NodeChild, spawnNode, stopChild, waitHttpOk } from '../lib/children.ts'
import { serverCpu } from '../lib/pinning.ts'
import { waitGroupsReady } from './bus-groups.ts'
import type { E2eContext } from './context.ts'
import { SINK_NAMES, SINK_PATHS, type SinkName } from './sink-protocol.ts'
import type { Sinks } from './sinks-control.ts'

/** Framewire under test: one `--role all` process per run, with a generated config, on its own CPU. */

export type BusType = 'kafka' | 'embedded'

export interface Framewire {
  bus: BusType
  /** The embedded bus's SQLite file. */
  busPath: string
  process: NodeChild
  pid: number
  url: string
  port: number
  topic: string
  groups: Record<SinkName, string>
}

const connectorSettings = (ports: Record<SinkName, number>) => ({
  amplitude: {
    api_key: 'bench-amplitude-key',
    server_url: `http://127.0.0.1:${ports.amplitude}${SINK_PATHS.amplitude}`,
  },
  datadog: { api_key: 'bench-datadog-key', url: `http://127.0.0.1:${ports.datadog}${SINK_PATHS.datadog}` },
  webhook: { url: `http://127.0.0.1:${ports.webhook}${SINK_PATHS.webhook}` },
})

/**
 * Starts Framewire with a new events topic and group prefix named after `label`, connectors pointing at the
 * sinks, and waits until it is ready and every connector's group has joined (Stable, or its lease held).
 */
export async function startFramewire(
  ctx: E2eContext,
  label: string,
  sinks: Sinks,
  bus: BusType,
  trace: 'all' | 'off' = 'off',
): Promise<Framewire> {
  const { workDir } = ctx.run
  const port = await freePort()
  const busPath = join(workDir, `bus-${label}.db`)
  const topic = `fw.events.${ctx.marker}-${label}`
  const groupPrefix = `${ctx.marker}-${label}.`
  const settings = connectorSettings(sinks.ports)
  const config = {
    node_id: 'bench-e2e',
    ingest: { host: '127.0.0.1', port },
    bus: { type: bus, path: busPath },
    kafka: {
      brokers: ctx.options.brokers.split(','),
      client_id: 'framewire-bench-e2e',
      group_prefix: groupPrefix,
      // The benchmark's broker is a single node.
      replication_factor: 1,
      min_insync_replicas: 1,
    },
    topics: {
      events: topic,
      invalid: `fw.invalid.${ctx.marker}-${label}`,
      dlq_prefix: `fw.dlq.${ctx.marker}-${label}.`,
    },
    redis: { url: ctx.options.redis },
    trace: { sampling: trace },
    sources: [{ name: 'bench', write_key: ctx.writeKey }],
    connectors: SINK_NAMES.map((name) => ({ name, type: name, settings: settings[name] })),
  }
  const configFile = join(workDir, `framewire-${label}.yaml`)
  writeFileSync(configFile, stringify(config))
  const child = spawnNode(['bin/framewire.js', 'start', '--role', 'all', '--config', configFile], {
    logFile: join(workDir, `framewire-${label}.log`),
    cpu: serverCpu(ctx.run.pinning),
  })
  const fw: Framewire = {
    bus,
    busPath,
    process: child,
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    port,
    topic,
    groups: Object.fromEntries(SINK_NAMES.map((n) => [n, `${groupPrefix}connector.${n}`])) as Record<
      SinkName,
      string
    >,
  }
  await waitHttpOk(child, `${fw.url}/readyz`)
  await waitGroupsReady(ctx.admin, fw)
  return fw
}

export const stopFramewire = (fw: Framewire) => stopChild(fw.process.child)
