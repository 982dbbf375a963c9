import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { Pool } from 'pg'
import { request } from 'undici'
import { afterAll, expect, it } from 'vitest'
import type { PlayerEvent } from '../../../src/event.ts'
import { startPipeline, testConfig } from '../../helpers/pipeline.ts'
import { postViews } from '../harness.ts'

const run = promisify(execFile)
const PG_URL = process.env.FRAMEWIRE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
// The Debian cluster of this machine (the test runs as root); async, so the in-process pipeline keeps running.
const CLUSTER = [readdirSync('/etc/postgresql')[0] ?? '15', 'main']
const pgctl = (action: 'start' | 'stop' | 'status') =>
  run('pg_ctlcluster', ['--skip-systemctl-redirect', ...CLUSTER, action])

async function ensurePostgresRunning() {
  try {
    await pgctl('status')
  } catch {
    await pgctl('start')
  }
}

const table = `fw_e2e_${randomUUID().slice(0, 8)}`
const admin = new Pool({ connectionString: PG_URL, max: 1 })
// The restart kills this pool's idle connection too.
admin.on('error', () => undefined)
let pipeline: Awaited<ReturnType<typeof startPipeline>> | undefined

afterAll(async () => {
  await ensurePostgresRunning()
  await pipeline?.stop()
  await admin.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined)
  await admin.end()
})

async function counts(): Promise<{ rows: number; ids: number }> {
  try {
    const { rows } = await admin.query(
      `SELECT count(*) AS rows, count(DISTINCT event_id) AS ids FROM ${table}`,
    )
    return { rows: Number(rows[0].rows), ids: Number(rows[0].ids) }
  } catch {
    return { rows: 0, ids: 0 } // not created yet, or the server is restarting
  }
}

/** Sum of a counter's series for this connector (all reasons). */
async function metric(name: string): Promise<number> {
  const text = await (await request(`${pipeline?.url}/metrics`)).body.text()
  const series = new RegExp(`^${name}\\{connector="postgres"[^}]*\\} (\\d+)$`, 'gm')
  return [...text.matchAll(series)].reduce((sum, m) => sum + Number(m[1]), 0)
}

it('writes every event exactly once although PostgreSQL restarts while events are posted and delivered', async () => {
  try {
    pipeline = await startPipeline(
      testConfig(`
connectors:
  - name: postgres
    type: postgres
    settings: { connection_string: '${PG_URL}', table: ${table}, connect_timeout_ms: 1000 }
    retry: { initial_backoff_ms: 50, max_backoff_ms: 1000 }
    circuit_breaker: { open_ms: 500 }
`),
      'all',
    )
    const url = pipeline.url
    const posted: PlayerEvent[] = await postViews(url, 30)
    const deadline = Date.now() + 30_000
    while ((await counts()).rows === 0 && Date.now() < deadline) await sleep(50)
    expect((await counts()).rows).toBeGreaterThan(0)

    // Stop the server (fast shutdown: sessions are terminated) while views keep arriving, then start it.
    const outage = (async () => {
      await pgctl('stop')
      await sleep(1_500)
      await pgctl('start')
    })()
    for (let round = 0; round < 12; round++) {
      posted.push(...(await postViews(url, 10)))
      await sleep(200)
    }
    await outage

    const settle = Date.now() + 60_000
    while ((await counts()).rows < posted.length && Date.now() < settle) await sleep(200)
    expect(await counts()).toEqual({ rows: posted.length, ids: posted.length })
    const { rows } = await admin.query(`SELECT event_id FROM ${table}`)
    expect(new Set(rows.map((r) => r.event_id))).toEqual(new Set(posted.map((e) => e.event_id)))
    // The outage really hit deliveries, and nothing was given up on.
    expect(await metric('framewire_connector_retries_total')).toBeGreaterThan(0)
    expect(await metric('framewire_connector_dead_lettered_total')).toBe(0)
  } finally {
    await ensurePostgresRunning()
  }
}, 120_000)
