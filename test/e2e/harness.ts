import { type ChildProcess, spawn } from 'node:child_process'
import { request } from 'undici'
import type { Role } from '../../src/app/start.ts'
import type { PlayerEvent } from '../../src/event.ts'
import { WRITE_KEY } from '../helpers/pipeline.ts'
import { envelope, playerView } from '../helpers/player-events.ts'
import { startAmplitudeStandIn } from '../stand-ins/amplitude.ts'
import { startDatadogStandIn } from '../stand-ins/datadog.ts'
import { startWebhookStandIn } from '../stand-ins/webhook.ts'

export const AMPLITUDE_KEY = 'amp-test-key-0001'
export const DATADOG_KEY = 'dd-test-key-0001'
export const WEBHOOK_SECRET = `whsec_${Buffer.from('framewire-test-secret-32-bytes!!').toString('base64')}`

/** The three stand-ins of this issue, each enforcing its vendor's contract. */
export async function startStandIns() {
  const [amplitude, datadog, webhook] = await Promise.all([
    startAmplitudeStandIn({ apiKey: AMPLITUDE_KEY }),
    startDatadogStandIn({ apiKey: DATADOG_KEY }),
    startWebhookStandIn({ secret: WEBHOOK_SECRET }),
  ])
  return {
    amplitude,
    datadog,
    webhook,
    async close() {
      await Promise.all([amplitude.close(), datadog.close(), webhook.close()])
    },
  }
}
export type StandIns = Awaited<ReturnType<typeof startStandIns>>

/** The `connectors:` block pointing each connector at its stand-in. */
export function connectorsYaml(s: StandIns, extra = ''): string {
  return `
connectors:
  - name: amplitude
    type: amplitude
    settings: { api_key: ${AMPLITUDE_KEY}, server_url: ${s.amplitude.endpoint} }
    retry: { initial_backoff_ms: 50, max_backoff_ms: 1000 }
    circuit_breaker: { open_ms: 500 }
  - name: datadog
    type: datadog
    settings: { api_key: ${DATADOG_KEY}, url: ${s.datadog.endpoint} }
    retry: { initial_backoff_ms: 50, max_backoff_ms: 1000 }
    circuit_breaker: { open_ms: 500 }
  - name: webhook
    type: webhook
    settings: { url: ${s.webhook.endpoint}, secret: '${WEBHOOK_SECRET}' }
    retry: { initial_backoff_ms: 50, max_backoff_ms: 1000 }
    circuit_breaker: { open_ms: 500 }
${extra}`
}

/** Posts views through the real ingest, `batchSize` events a request, `concurrency` requests at a time. */
export async function postViews(
  url: string,
  views: number,
  batchSize = 50,
  concurrency = 8,
): Promise<PlayerEvent[]> {
  const events = Array.from({ length: views }, () => playerView(10)).flat()
  const batches: PlayerEvent[][] = []
  for (let i = 0; i < events.length; i += batchSize) batches.push(events.slice(i, i + batchSize))
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches.length) {
        const batch = batches[next++] as PlayerEvent[]
        const res = await request(`${url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}` },
          body: JSON.stringify(envelope(batch)),
        })
        const body = await res.body.text()
        if (res.statusCode !== 202) throw new Error(`ingest answered ${res.statusCode}: ${body}`)
      }
    }),
  )
  return events
}

/** One answer of the load: when it came and its status (0: no answer, the connection failed). */
export interface Answer {
  at: number
  status: number
}

/**
 * Posts views of two players a request until stopped, from `loops` concurrent loops each pausing `pauseMs`
 * between requests, remembering which events were acknowledged (202), which were only sent, and every answer.
 */
export function postUntilStopped(url: string, { loops = 4, pauseMs = 0 } = {}) {
  const sent: PlayerEvent[] = []
  const acknowledged: PlayerEvent[] = []
  const answers: Answer[] = []
  let stopped = false
  const running = Array.from({ length: loops }, async () => {
    while (!stopped) {
      const batch = [...playerView(10), ...playerView(10)]
      sent.push(...batch)
      try {
        const res = await request(`${url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}` },
          body: JSON.stringify(envelope(batch)),
        })
        await res.body.text()
        answers.push({ at: Date.now(), status: res.statusCode })
        if (res.statusCode === 202) acknowledged.push(...batch)
      } catch {
        // The process was killed under this request: it was never acknowledged.
        answers.push({ at: Date.now(), status: 0 })
      }
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs))
    }
  })
  return {
    sent,
    acknowledged,
    answers,
    async stop() {
      stopped = true
      await Promise.all(running)
    },
  }
}

/** `framewire start` in a child process, remembered in `children` so the suite can kill what is left. */
export function startFramewireProcess(
  configFile: string,
  role: Role,
  children: ChildProcess[],
  logLevel = 'warn',
) {
  const child = spawn(
    process.execPath,
    ['bin/framewire.js', 'start', '--role', role, '--config', configFile],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, LOG_LEVEL: logLevel },
    },
  )
  children.push(child)
  return child
}

export async function until(what: string, check: () => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
}
