import { randomUUID } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { Pool } from 'undici'
import type { PlayerEvent } from '../event.ts'
import { makeViewer } from './audience.ts'
import { TITLES } from './catalogue.ts'
import { simulateView } from './player-model.ts'
import { PlayerSdk, type SendBatch } from './player-sdk.ts'
import { Random } from './random.ts'

/**
 * Runs simulated players in real time against an ingest: each plays views back to back, releasing every
 * event of a view at its timestamp into its own SDK queue, which posts batches to /v1/events.
 */

export interface SimulationOptions {
  /** Base URL of the ingest, e.g. http://127.0.0.1:8080. */
  url: string
  writeKey: string
  players: number
  /** Same seed, same players and views (ids aside: they are random, so reruns are not duplicates). */
  seed: number
  /** How often each player's SDK sends its queue. */
  flushMs?: number
  log: Logger
}

export interface SimulationStats {
  viewsStarted: number
  requests: number
  /** Requests that failed or answered 5xx; their events were sent again. */
  failedRequests: number
  accepted: number
  duplicates: number
  rejected: number
}

export interface SimulatedPlayers {
  readonly stats: SimulationStats
  /** Ends every view where it is, sends what the players have queued, and closes the connections. */
  stop(): Promise<void>
}

export function startSimulatedPlayers(options: SimulationOptions): SimulatedPlayers {
  const flushMs = options.flushMs ?? 5_000
  const stats: SimulationStats = {
    viewsStarted: 0,
    requests: 0,
    failedRequests: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
  }
  const pool = new Pool(options.url, { connections: Math.min(64, options.players) })
  const stopping = new AbortController()
  // Every player waits on this signal.
  setMaxListeners(0, stopping.signal)
  const send = batchSender(pool, options, stats)
  const sdks: PlayerSdk[] = []

  async function runPlayer(index: number) {
    const rng = Random.forPlayer(options.seed, index)
    const viewer = makeViewer(rng, index)
    const sessionId = randomUUID()
    const sdk = new PlayerSdk(send, flushMs)
    sdks.push(sdk)
    // Players arrive over one flush interval, so their requests do not come in lockstep.
    await sleep(rng.int(0, flushMs), undefined, { signal: stopping.signal })
    for (let view = 0; ; view++) {
      const events = simulateView(rng, {
        viewer,
        title: rng.pick(TITLES),
        sessionId,
        viewId: randomUUID(),
        startTs: Date.now(),
        firstOfPlayer: view === 0,
        newId: randomUUID,
      })
      stats.viewsStarted++
      for (const event of events) {
        await sleep(Math.max(0, event.ts - Date.now()), undefined, { signal: stopping.signal })
        sdk.track(event)
      }
      // The viewer picks the next title.
      await sleep(rng.skewed(3_000, 0.5), undefined, { signal: stopping.signal })
    }
  }

  const running = Array.from({ length: options.players }, (_, index) =>
    runPlayer(index).catch((error: unknown) => {
      if (!stopping.signal.aborted)
        options.log.error({ err: error, player: index }, 'simulated player failed')
    }),
  )

  return {
    stats,
    async stop() {
      stopping.abort()
      await Promise.all(running)
      await Promise.all(sdks.map((sdk) => sdk.close()))
      await pool.close()
    },
  }
}

/** Posts a batch with `sent_at`, as a collector does, and counts the ingest's answer. */
function batchSender(pool: Pool, options: SimulationOptions, stats: SimulationStats): SendBatch {
  let warned = false
  return async (events: PlayerEvent[]) => {
    stats.requests++
    try {
      const res = await pool.request({
        path: '/v1/events',
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.writeKey}` },
        body: JSON.stringify({ sent_at: Date.now(), events }),
      })
      const text = await res.body.text()
      if (res.statusCode === 202) {
        const answer = JSON.parse(text) as { accepted: number; duplicates: number; rejected: unknown[] }
        stats.accepted += answer.accepted
        stats.duplicates += answer.duplicates
        stats.rejected += answer.rejected.length
        if (answer.rejected.length > 0 && !warned) {
          warned = true
          options.log.warn({ rejected: answer.rejected[0] }, 'the ingest rejected simulated events')
        }
        return true
      }
      if (res.statusCode < 500) {
        // A client error will not pass on a second try either.
        stats.rejected += events.length
        options.log.warn({ status: res.statusCode, body: text.slice(0, 200) }, 'the ingest refused a batch')
        return true
      }
    } catch (error) {
      options.log.debug({ err: error }, 'sending a batch failed')
    }
    stats.failedRequests++
    return false
  }
}
