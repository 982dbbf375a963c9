import { type ChildProcess, spawn } from 'node:child_process'
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from './free-port.ts'

/**
 * The Google Cloud Pub/Sub emulator (`gcloud beta emulators pubsub start`, Debian package
 * google-cloud-cli-pubsub-emulator, needs Java) on a free local port, with its own data directory.
 * Tests point the client at `host` (apiEndpoint); it speaks gRPC and REST on the same port.
 */
export interface PubSubEmulator {
  /** `127.0.0.1:<port>` */
  host: string
  stop(): Promise<void>
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, command)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {}
  }
  return undefined
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()))
}

export async function startPubSubEmulator(timeoutMs = 60_000): Promise<PubSubEmulator> {
  const gcloud = onPath('gcloud')
  if (!gcloud) {
    // Not a skip: the Pub/Sub connector is tested against the real emulator or not at all.
    throw new Error(
      'gcloud is not on PATH: the Pub/Sub tests need the emulator (apt-get install google-cloud-cli ' +
        'google-cloud-cli-pubsub-emulator and a Java runtime)',
    )
  }
  const port = await freePort()
  const host = `127.0.0.1:${port}`
  const dataDir = mkdtempSync(join(tmpdir(), 'framewire-pubsub-'))
  // Its own process group: gcloud starts the Java emulator as a child, and stop() ends both.
  const child = spawn(
    gcloud,
    ['beta', 'emulators', 'pubsub', 'start', `--host-port=${host}`, `--data-dir=${dataDir}`, '--quiet'],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000)
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)

  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid, 'SIGTERM')
      const killed = await Promise.race([exited(child).then(() => true), sleep(5_000).then(() => false)])
      if (!killed) process.kill(-child.pid, 'SIGKILL')
      await exited(child)
    }
    rmSync(dataDir, { recursive: true, force: true })
  }

  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      await stop()
      throw new Error(`the Pub/Sub emulator exited with code ${child.exitCode}:\n${output}`)
    }
    try {
      const res = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1_000) })
      if (res.ok) return { host, stop }
    } catch {}
    await sleep(250)
  }
  await stop()
  throw new Error(`the Pub/Sub emulator did not answer on ${host} within ${timeoutMs} ms:\n${output}`)
}
