import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventTrace, TraceStage } from '../../src/trace/trace-stages.ts'
import { BUSES, startPipeline, testConfig } from '../helpers/pipeline.ts'
import { startWebhookStandIn, type WebhookStandIn } from '../stand-ins/webhook.ts'
import { postViews, WEBHOOK_SECRET } from './harness.ts'

const TOKEN = 'trace-test-token'
const run = promisify(execFile)

describe.each(BUSES)('event traces through the real ingest and the %s bus', (bus) => {
  let good: WebhookStandIn
  let broken: WebhookStandIn
  let pipeline: Awaited<ReturnType<typeof startPipeline>>

  const trace = async (
    eventId: string,
    headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` },
  ) => {
    const res = await request(`${pipeline.url}/v1/events/${eventId}/trace`, { headers })
    return {
      status: res.statusCode,
      body: (await res.body.json()) as EventTrace & { error?: string; message?: string },
    }
  }
  const stagesOf = (stages: TraceStage[], connector: string) =>
    stages.filter((s) => 'connector' in s && s.connector === connector).map((s) => s.stage)

  beforeAll(async () => {
    good = await startWebhookStandIn({ secret: WEBHOOK_SECRET })
    broken = await startWebhookStandIn({ secret: WEBHOOK_SECRET })
    broken.script.failAlways(503)
    const yaml = `
console: { token: ${TOKEN} }
trace: { sampling: all }
connectors:
  - name: hook
    type: webhook
    settings: { url: ${good.endpoint}, secret: '${WEBHOOK_SECRET}' }
  - name: broken
    type: webhook
    settings: { url: ${broken.endpoint}, secret: '${WEBHOOK_SECRET}' }
    retry: { max_attempts: 3, initial_backoff_ms: 20, max_backoff_ms: 50 }
    circuit_breaker: { failure_threshold: 1000 }
  - name: muted
    type: webhook
    settings: { url: ${good.endpoint}, secret: '${WEBHOOK_SECRET}' }
    filter: { field: type, eq: no_such_type }
`
    pipeline = await startPipeline(testConfig(yaml, {}, bus), 'all')
  })
  afterAll(async () => {
    await pipeline?.stop()
    await good?.close()
    await broken?.close()
  })

  it('shows received, written, a delivery with its latency, attempts with status codes and a dead letter', async () => {
    const events = await postViews(pipeline.url, 1, 10, 1)
    const eventId = (events[0] as { event_id: string }).event_id
    let stages: TraceStage[] = []
    const deadline = Date.now() + 30_000
    while (!stages.some((s) => s.stage === 'dead_lettered')) {
      if (Date.now() > deadline) throw new Error(`no dead letter in the trace: ${JSON.stringify(stages)}`)
      await new Promise((r) => setTimeout(r, 200))
      stages = (await trace(eventId)).body.stages ?? []
    }
    // The delivery and the filter may land in another flush than the dead letter.
    await new Promise((r) => setTimeout(r, 300))
    stages = (await trace(eventId)).body.stages
    expect(stages[0]).toMatchObject({
      stage: 'received',
      source: 'web',
      format: 'application/json',
      node: 'test-node',
    })
    const written = stages.find((s) => s.stage === 'written')
    expect(written).toMatchObject({
      stage: 'written',
      partition: expect.any(Number),
      offset: expect.any(String),
    })
    expect(stages.filter((s) => s.stage === 'written')).toHaveLength(1)
    expect(stagesOf(stages, 'hook')).toEqual(['attempt', 'delivered'])
    const delivered = stages.find((s) => s.stage === 'delivered')
    expect(delivered).toMatchObject({ connector: 'hook', latency_ms: expect.any(Number) })
    expect(stagesOf(stages, 'broken')).toEqual(['attempt', 'attempt', 'attempt', 'dead_lettered'])
    const attempts = stages.filter((s) => s.stage === 'attempt' && s.connector === 'broken')
    expect(attempts.map((a) => a.stage === 'attempt' && [a.attempt, a.outcome, a.status])).toEqual([
      [1, 'retry', 503],
      [2, 'retry', 503],
      [3, 'retry', 503],
    ])
    expect(stages.find((s) => s.stage === 'dead_lettered')).toMatchObject({ reason: 'retries_exhausted' })
    expect(stagesOf(stages, 'muted')).toEqual(['filtered'])
    expect(stages.find((s) => s.stage === 'filtered')).toMatchObject({ by: 'filter' })
    // In time order.
    expect(stages.map((s) => s.at)).toEqual([...stages.map((s) => s.at)].sort((a, b) => a - b))

    // framewire trace prints the same as a timeline.
    const cli = await run(process.execPath, [
      'bin/framewire.js',
      'trace',
      eventId,
      '--url',
      pipeline.url,
      '--token',
      TOKEN,
    ])
    const lines = cli.stdout.trim().split('\n')
    expect(lines[0]).toBe(`event ${eventId}`)
    expect(lines).toHaveLength(stages.length + 1)
    expect(lines[1]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} +\+0 ms {2}received from source web as application\/json on node test-node$/,
    )
    expect(
      lines.filter((l) => l.includes('[broken] attempt')).map((l) => l.replace(/^.*\[broken\] /, '')),
    ).toEqual([
      'attempt 1: retry, status 503: HTTP 503',
      'attempt 2: retry, status 503: HTTP 503',
      'attempt 3: retry, status 503: HTTP 503',
    ])
    expect(lines.some((l) => /\[hook\] delivered, \d+ ms after it was received$/.test(l))).toBe(true)
  }, 60_000)

  it('needs the console token, and says why an event has no trace', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000'
    expect(await trace(unknown, {})).toMatchObject({
      status: 401,
      body: { error: 'FW_ERR_TRACE_UNAUTHORIZED' },
    })
    expect(await trace(unknown, { authorization: 'Bearer wrong' })).toMatchObject({ status: 401 })
    expect(await trace(unknown)).toMatchObject({ status: 404, body: { error: 'FW_ERR_TRACE_NOT_FOUND' } })
    expect(await trace('not-a-uuid')).toMatchObject({
      status: 400,
      body: { error: 'FW_ERR_TRACE_INVALID_EVENT_ID' },
    })
    const cli = await run(process.execPath, [
      'bin/framewire.js',
      'trace',
      unknown,
      '--url',
      pipeline.url,
    ]).catch((err: { code: number; stderr: string }) => err)
    expect(cli).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /^FW_ERR_CLI_TRACE_REFUSED: the ingest answered 401: FW_ERR_TRACE_UNAUTHORIZED/,
      ),
    })
  })
})
