import { join } from 'node:path'
import { type NodeChild, spawnNode } from '../lib/children.ts'
import type { AmplitudeRebuild, FromSinks, SinkName, SinkWindow, ToSinks } from './sink-protocol.ts'

/** This side of the sinks process (sinks.ts): starting it and talking to it over IPC. */

export interface Sinks {
  process: NodeChild
  pid: number
  ports: Record<SinkName, number>
  hang(connector: SinkName | null): void
  clear(): void
  window(from: number, to: number, sliceMs: number): Promise<Record<SinkName, SinkWindow>>
}

export async function startSinks(workDir: string, rebuild: AmplitudeRebuild | null): Promise<Sinks> {
  // Not pinned by taskset: started after this process was pinned, the sinks inherit the load generator's CPU.
  const sinks = spawnNode(['bench/e2e/sinks.ts', JSON.stringify(rebuild)], {
    logFile: join(workDir, 'sinks.log'),
    ipc: true,
  })
  const { child } = sinks
  const ports = await new Promise<Record<SinkName, number>>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sinks exited (${code}); see ${sinks.logFile}`)))
    child.on('message', (m: FromSinks) => {
      if (m.type === 'ready') resolve(m.ports)
    })
  })
  let nextId = 0
  const waiting = new Map<number, (result: Record<SinkName, SinkWindow>) => void>()
  child.on('message', (m: FromSinks) => {
    if (m.type === 'window') waiting.get(m.id)?.(m.result)
  })
  const send = (message: ToSinks) => child.send(message)
  return {
    process: sinks,
    pid: sinks.pid,
    ports,
    hang: (connector) => send({ type: 'hang', connector }),
    clear: () => send({ type: 'clear' }),
    window: (from, to, sliceMs) =>
      new Promise((resolve) => {
        const id = nextId++
        waiting.set(id, (result) => {
          waiting.delete(id)
          resolve(result)
        })
        send({ type: 'window', id, from, to, sliceMs })
      }),
  }
}
