import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { ROOT } from './run-bench.ts'

/** The node processes a bench starts (servers, sinks): started, waited for, stopped. */

export interface NodeChild {
  child: ChildProcess
  pid: number
  logFile: string
}

export interface SpawnOptions {
  /** stdout and stderr are appended here. */
  logFile: string
  /** Pin to this CPU with taskset; unpinned (inheriting this process's affinity) when undefined. */
  cpu?: number | undefined
  /** Open an IPC channel (child.send / process.send). */
  ipc?: boolean
}

/** Every child still running, so a failed or interrupted bench can stop them all. */
const running = new Set<ChildProcess>()

/** Starts `node <args>` in the repository. */
export function spawnNode(args: string[], { logFile, cpu, ipc = false }: SpawnOptions): NodeChild {
  const fd = openSync(logFile, 'a')
  const stdio: StdioOptions = ipc ? ['ignore', fd, fd, 'ipc'] : ['ignore', fd, fd]
  // taskset execs node, so the child's pid is node's own.
  const child =
    cpu === undefined
      ? spawn(process.execPath, args, { cwd: ROOT, stdio })
      : spawn('taskset', ['-c', String(cpu), process.execPath, ...args], { cwd: ROOT, stdio })
  closeSync(fd)
  if (child.pid === undefined) throw new Error(`could not start node ${args.join(' ')}`)
  running.add(child)
  child.once('exit', () => running.delete(child))
  return { child, pid: child.pid, logFile }
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null

/** Polls `url` until it answers 2xx; throws if the child exits first or the time runs out. */
export async function waitHttpOk(server: NodeChild, url: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (exited(server.child))
      throw new Error(
        `${url} never answered: the server exited (${server.child.exitCode ?? server.child.signalCode}); see ${server.logFile}`,
      )
    try {
      const res = await fetch(url)
      await res.arrayBuffer()
      if (res.ok) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${url} not ready within ${timeoutMs} ms; see ${server.logFile}`)
    await sleep(200)
  }
}

/** SIGTERM, then SIGKILL if the child has not exited within 15 s. */
export async function stopChild(child: ChildProcess) {
  if (exited(child)) return
  const gone = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  await gone
  clearTimeout(timer)
}

export async function stopAllChildren() {
  await Promise.all([...running].map(stopChild))
}
