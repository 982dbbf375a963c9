import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { loadExampleEvents, loadSchemaDocuments } from '../../src/dictionary/schema-files.ts'
import type { EnrichedEvent } from '../../src/event.ts'
import { kindsAt } from '../../test/fixtures/connector-results.ts'
import { makeEvent, makeView } from '../../test/fixtures/events.ts'
import { makeBatch, makeContext, makeOpenContext, standInSuite } from '../../test/fixtures/send-context.ts'
import { settingsMaker } from '../../test/fixtures/settings.ts'
import { type BigQueryStandIn, googleError, startBigQueryStandIn } from '../../test/stand-ins/bigquery.ts'
import bigquery, {
  type BigQueryResources,
  type BigQuerySettings,
  QUOTA_EXCEEDED_PAUSE_MS,
  settingsSchema,
} from './index.ts'
import { classifyRequestError, outcomesForInsertErrors } from './response.ts'
import { type BigQueryField, bigQuerySchema, dictionarySchema } from './schema.ts'
import type { InsertAllRow } from './transform.ts'

const PROJECT = 'framewire-test'
const DATASET = 'telemetry'
const TOKEN = 'ya29.fake-token-for-the-stand-in'

const settings = settingsMaker(settingsSchema, () => ({
  project_id: PROJECT,
  dataset: DATASET,
  table: `events_${randomUUID().slice(0, 8)}`,
  access_token: TOKEN,
}))

/** Every property path of the dictionary (`buffer.cause`, `user.consent.analytics`…), walked on its own. */
function dictionaryPaths(): Set<string> {
  const docs = loadSchemaDocuments()
  const byId = new Map(docs.map((d) => [d.id, d.schema]))
  const paths = new Set<string>()
  const walk = (node: Record<string, unknown>, baseId: string, prefix: string) => {
    if (typeof node.$ref === 'string') {
      const url = new URL(node.$ref, baseId)
      const base = `${url.origin}${url.pathname}`
      let target = byId.get(base) as Record<string, unknown>
      for (const part of url.hash.slice(2).split('/').filter(Boolean))
        target = target[part] as Record<string, unknown>
      walk(target, base, prefix)
    }
    for (const [name, child] of Object.entries(
      (node.properties ?? {}) as Record<string, Record<string, unknown>>,
    )) {
      paths.add(`${prefix}${name}`)
      walk(child, baseId, `${prefix}${name}.`)
    }
  }
  for (const doc of docs.filter((d) => d.kind === 'event' || d.kind === 'context' || d.name === 'base')) {
    walk(doc.schema, doc.id, doc.kind === 'context' ? `${doc.name}.` : '')
  }
  return paths
}

function schemaPaths(fields: BigQueryField[], prefix = ''): Map<string, BigQueryField> {
  const paths = new Map<string, BigQueryField>()
  for (const field of fields) {
    paths.set(`${prefix}${field.name}`, field)
    for (const [path, f] of schemaPaths(field.fields ?? [], `${prefix}${field.name}.`)) paths.set(path, f)
  }
  return paths
}

const field = (path: string) => schemaPaths(dictionarySchema()).get(path)

describe('bigquery schema generated from the data dictionary', () => {
  it('covers every field of every event type and context group, with valid column names', () => {
    const columns = schemaPaths(bigQuerySchema())
    const expected = dictionaryPaths()
    expect(expected.size).toBeGreaterThan(100)
    // The custom group is open: its keys live inside the JSON column, not as columns.
    const missing = [...expected].filter((path) => !columns.has(path) && !path.startsWith('custom.'))
    expect(missing).toEqual([])
    for (const [path, f] of columns) {
      expect(f.name, path).toMatch(/^[A-Za-z_][A-Za-z0-9_]{0,299}$/)
      expect((f.description ?? '').length, path).toBeLessThanOrEqual(1024)
    }
  })

  it('types the columns: TIMESTAMP times, RECORD groups, JSON open objects, REQUIRED common fields', () => {
    expect(field('ts')).toMatchObject({ type: 'TIMESTAMP', mode: 'REQUIRED' })
    expect(field('received_at')).toMatchObject({ type: 'TIMESTAMP', mode: 'REQUIRED' })
    expect(field('ts_corrected')).toMatchObject({ type: 'TIMESTAMP', mode: 'REQUIRED' })
    expect(field('event_id')).toMatchObject({ type: 'STRING', mode: 'REQUIRED' })
    expect(field('seq')).toMatchObject({ type: 'INTEGER', mode: 'REQUIRED' })
    expect(field('player')).toMatchObject({ type: 'RECORD', mode: 'NULLABLE' })
    expect(field('player.volume')).toMatchObject({ type: 'FLOAT' })
    expect(field('user.consent.analytics')).toMatchObject({ type: 'BOOLEAN' })
    expect(field('custom')).toMatchObject({ type: 'JSON' })
    expect(field('data')).toMatchObject({ type: 'JSON' })
    expect(field('metrics.interval_ms')).toMatchObject({ type: 'INTEGER', mode: 'NULLABLE' })
    // Payload objects are the union over event types: buffer_end adds duration_ms to buffer_start's fields.
    expect(field('buffer')?.fields?.map((f) => f.name)).toEqual(['cause', 'during_ad', 'duration_ms'])
    expect(field('client_ip')).toMatchObject({ type: 'STRING', mode: 'NULLABLE' })
  })

  it('refuses a dictionary that gives one field two types', () => {
    const docs = loadSchemaDocuments()
    const seek = docs.find((d) => d.path === 'events/seek_end.json')
    const seekProps = seek?.schema.properties as Record<string, unknown>
    seekProps.buffer = { description: 'clash', type: 'string' }
    expect(() => bigQuerySchema(docs)).toThrow(/buffer: RECORD in one event type, STRING in another/)
  })
})

describe('bigquery transform and responses', () => {
  it('maps an event to an insertAll row: insertId, ISO timestamps, records, JSON strings', () => {
    const event = makeEvent({ custom: { experiment: 'b', tier: 3 }, session_start: 17 })
    const row = bigquery.transform(event, settings()) as InsertAllRow
    expect(row.insertId).toBe(event.event_id)
    expect(row.json).toMatchObject({
      event_id: event.event_id,
      type: 'playing',
      ts: '2026-03-01T12:00:00.000Z',
      ts_corrected: '2026-03-01T12:00:00.040Z',
      received_at: '2026-03-01T12:00:00.180Z',
      seq: 4,
      source: 'web-player',
      player: { name: 'hls.js', playhead_ms: 5_900 },
      network: { downlink_mbps: 9.5 },
      custom: '{"experiment":"b","tier":3}',
    })
    // Not in the dictionary, so not a column: left out rather than rejected by BigQuery.
    expect(row.json).not.toHaveProperty('session_start')
  })

  it('insertErrors: stopped rows are retried at once, invalid ones rejected, unlisted ones delivered', () => {
    const outcomes = outcomesForInsertErrors(4, [
      { index: 0, errors: [{ reason: 'stopped', message: '' }] },
      { index: 1, errors: [{ reason: 'invalid', location: 'cdn', message: 'no such field: cdn.' }] },
      { index: 2, errors: [{ reason: 'backendError', message: 'try again' }] },
    ])
    expect(outcomes).toEqual([
      { kind: 'retry', reason: 'not inserted: another row of the request was invalid', afterMs: 0 },
      {
        kind: 'rejected',
        reason: 'BigQuery invalid at cdn: no such field: cdn.',
        body: expect.stringContaining('no such field'),
      },
      { kind: 'retry', reason: 'BigQuery backendError: try again' },
      { kind: 'delivered' },
    ])
  })

  it('request errors: quota pauses, rate limits retry, credentials pause, sizes split, 404 is noted', () => {
    const err = (code: number | string, reason: string, message = 'm', headers = {}) => ({
      code,
      message,
      errors: [{ reason, message }],
      response: { headers },
    })
    expect(classifyRequestError(err(403, 'quotaExceeded'), 600_000).outcome).toEqual({
      kind: 'paused',
      cause: 'quota',
      reason: 'BigQuery 403 quotaExceeded: m',
      status: 403,
      afterMs: 600_000,
    })
    expect(
      classifyRequestError(err(403, 'rateLimitExceeded', 'm', { 'retry-after': '3' }), 1).outcome,
    ).toEqual({
      kind: 'retry',
      reason: 'BigQuery 403 rateLimitExceeded: m',
      status: 403,
      afterMs: 3_000,
    })
    // The 300 MB/s throughput 413 carries a rate-limit reason: back off, never split.
    expect(classifyRequestError(err(413, 'rateLimitExceeded'), 1)).toMatchObject({
      tooLarge: false,
      outcome: { kind: 'retry', status: 413 },
    })
    expect(classifyRequestError(err(413, 'quotaExceeded'), 1)).toMatchObject({
      tooLarge: false,
      outcome: { kind: 'paused', cause: 'quota' },
    })
    expect(classifyRequestError(err(503, 'backendError'), 1).outcome.kind).toBe('retry')
    expect(classifyRequestError(err(500, 'internalError'), 1).outcome.kind).toBe('retry')
    for (const [code, reason] of [
      [403, 'accessDenied'],
      [401, 'authError'],
    ] as const) {
      expect(classifyRequestError(err(code, reason), 1).outcome).toMatchObject({
        kind: 'paused',
        cause: 'credentials',
        status: code,
      })
    }
    expect(classifyRequestError(err(404, 'notFound'), 1)).toMatchObject({
      notFound: true,
      outcome: { kind: 'rejected' },
    })
    const payload = 'Request payload size exceeds the limit: 10485760 bytes.'
    expect(classifyRequestError(err(400, 'badRequest', payload), 1).tooLarge).toBe(true)
    expect(classifyRequestError({ code: 413, message: '<html>413</html>' }, 1).tooLarge).toBe(true)
    expect(classifyRequestError(err(400, 'invalid', 'bad'), 1)).toMatchObject({
      tooLarge: false,
      outcome: { kind: 'rejected' },
    })
    expect(
      classifyRequestError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 1)
        .outcome,
    ).toEqual({
      kind: 'retry',
      reason: 'BigQuery request failed: connect ECONNREFUSED',
    })
  })
})

describe('bigquery send through @google-cloud/bigquery against the stand-in', () => {
  let s: BigQueryStandIn | undefined
  const suite = standInSuite(() => s)

  async function setup(
    overrides: Partial<BigQuerySettings> = {},
    standIn: { maxRequestBytes?: number; maxRows?: number; maxBytesPerSecond?: number } = {},
  ) {
    s = await startBigQueryStandIn({ projectId: PROJECT, token: TOKEN, datasets: [DATASET], ...standIn })
    const config = settings({ api_endpoint: s.apiEndpoint, ...overrides })
    const resources = (await bigquery.open?.(config, makeOpenContext())) as BigQueryResources
    const send = (events: EnrichedEvent[]) =>
      bigquery.send(makeBatch(bigquery, config, events), makeContext(config, suite.agent, { resources }))
    return { s, config, send }
  }

  it('inserts a view with the Bearer token; a resend is dropped by insertId; the client does not retry', async () => {
    const { s, config, send } = await setup()
    s.createTable(DATASET, config.table, dictionarySchema())
    const view = makeView(30)
    expect(await send(view)).toEqual(view.map(() => ({ kind: 'delivered' })))
    expect(await send(view)).toEqual(view.map(() => ({ kind: 'delivered' })))
    const table = s.table(DATASET, config.table)
    expect(table?.rows.map((r) => r.insertId)).toEqual(view.map((e) => e.event_id))
    expect(s.duplicatesDropped()).toBe(30)
    expect(s.received[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(s.received[0]?.url.split('?')[0]).toBe(
      `/bigquery/v2/projects/${PROJECT}/datasets/${DATASET}/tables/${config.table}/insertAll`,
    )

    s.script.failNext(1, 503)
    const before = s.received.length
    const outcomes = await send(makeView(2))
    expect(outcomes.every((o) => o.kind === 'retry' && o.status === 503)).toBe(true)
    expect(s.received.length - before).toBe(1)
  })

  it('every data dictionary example is accepted by the table the dictionary schema describes', async () => {
    const { s, config, send } = await setup({ create_table: true })
    const now = Date.now()
    const examples = [...loadExampleEvents().values()].map(
      (e, i) =>
        ({
          ...e,
          ts_corrected: now + i,
          received_at: now + i,
          source: 'web',
          ingest_node: 'n1',
          client_ip: '203.0.113.0',
        }) as EnrichedEvent,
    )
    expect(examples.length).toBeGreaterThanOrEqual(20)
    // First send creates the table (create_table) and asks for a retry; the second inserts.
    expect((await send(examples)).every((o) => o.kind === 'retry')).toBe(true)
    expect(await send(examples)).toEqual(examples.map(() => ({ kind: 'delivered' })))
    const table = s.table(DATASET, config.table)
    expect(table?.rows).toHaveLength(examples.length)
    expect(table?.resource).toMatchObject({
      timePartitioning: { type: 'DAY', field: 'received_at' },
      clustering: { fields: ['type', 'view_id'] },
    })
    expect(table?.fields).toEqual(dictionarySchema())
  })

  it('partial failure: rows BigQuery finds invalid are rejected, the stopped ones retried and then inserted', async () => {
    const { s, config, send } = await setup()
    // A table created from an older dictionary, without the cdn group.
    s.createTable(
      DATASET,
      config.table,
      dictionarySchema().filter((f) => f.name !== 'cdn'),
    )
    const events = makeView(6).map((e, i) => (i % 3 === 0 ? e : { ...e, cdn: undefined }))
    for (const e of events) if (e.cdn === undefined) delete e.cdn
    const outcomes = await send(events)
    expect(outcomes.map((o) => o.kind)).toEqual(['rejected', 'retry', 'retry', 'rejected', 'retry', 'retry'])
    expect(outcomes[0]).toMatchObject({ reason: 'BigQuery invalid at cdn: no such field: cdn.' })
    expect(s.table(DATASET, config.table)?.rows).toHaveLength(0)

    const retried = events.filter((_, i) => outcomes[i]?.kind === 'retry')
    expect(await send(retried)).toEqual(retried.map(() => ({ kind: 'delivered' })))
    expect(s.table(DATASET, config.table)?.rows).toHaveLength(4)
  })

  it('with skip_invalid_rows the valid rows go in at once; with ignore_unknown_values nothing is refused', async () => {
    const { s, config, send } = await setup({ skip_invalid_rows: true })
    s.createTable(
      DATASET,
      config.table,
      dictionarySchema().filter((f) => f.name !== 'cdn'),
    )
    const events = makeView(4).map((e, i) => (i === 0 ? e : { ...e, cdn: undefined }))
    for (const e of events) if (e.cdn === undefined) delete e.cdn
    expect((await send(events)).map((o) => o.kind)).toEqual(kindsAt(4, { 0: 'rejected' }))

    const lenient = await setup({ ignore_unknown_values: true })
    lenient.s.createTable(
      DATASET,
      lenient.config.table,
      dictionarySchema().filter((f) => f.name !== 'cdn'),
    )
    expect((await lenient.send(makeView(3))).every((o) => o.kind === 'delivered')).toBe(true)
  })

  it('403 quotaExceeded pauses for the quota window; accessDenied and a wrong token pause for credentials', async () => {
    const { s, config, send } = await setup()
    s.createTable(DATASET, config.table, dictionarySchema())
    s.script.failNext(1, 403, {
      body: googleError(403, 'quotaExceeded', 'Quota exceeded: Your table exceeded quota'),
    })
    expect(await send(makeView(2))).toEqual(
      [0, 1].map(() => ({
        kind: 'paused',
        cause: 'quota',
        reason: 'BigQuery 403 quotaExceeded: Quota exceeded: Your table exceeded quota',
        status: 403,
        afterMs: QUOTA_EXCEEDED_PAUSE_MS,
      })),
    )
    s.script.failNext(1, 403, {
      body: googleError(403, 'rateLimitExceeded', 'Exceeded rate limits'),
      retryAfter: 2,
    })
    expect(await send(makeView(1))).toEqual([
      {
        kind: 'retry',
        reason: 'BigQuery 403 rateLimitExceeded: Exceeded rate limits',
        status: 403,
        afterMs: 2_000,
      },
    ])

    const wrong = await setup({ access_token: 'ya29.someone-else' })
    wrong.s.createTable(DATASET, wrong.config.table, dictionarySchema())
    expect((await wrong.send(makeView(1)))[0]).toMatchObject({
      kind: 'paused',
      cause: 'credentials',
      status: 401,
    })
  })

  it('a missing table rejects without create_table', async () => {
    const { send } = await setup()
    const outcomes = await send(makeView(2))
    expect(outcomes.every((o) => o.kind === 'rejected' && o.status === 404)).toBe(true)
    expect(outcomes[0]).toMatchObject({ reason: expect.stringContaining('Not found: Table') })
  })

  it('a 413 of the throughput quota is retried whole, not split; the front end 413 for size is split', async () => {
    // 8 rows of ~2 KB: one request is ~17 KB, over the 10 KB/s the project may stream.
    const { s, config, send } = await setup({}, { maxBytesPerSecond: 10_000 })
    s.createTable(DATASET, config.table, dictionarySchema())
    const events = makeView(8).map((e) => ({ ...e, custom: { pad: 'p'.repeat(2_000) } }))
    const outcomes = await send(events)
    expect(outcomes.every((o) => o.kind === 'retry' && o.status === 413)).toBe(true)
    expect(outcomes[0]).toMatchObject({ reason: expect.stringContaining('rateLimitExceeded') })
    expect(s.received).toHaveLength(1)
    expect(s.table(DATASET, config.table)?.rows).toHaveLength(0)

    // A body over twice the request limit gets Google's HTML 413: halves are sent.
    const big = await setup({}, { maxRequestBytes: 9_000 })
    big.s.createTable(DATASET, big.config.table, dictionarySchema())
    expect((await big.send(events)).every((o) => o.kind === 'delivered')).toBe(true)
    expect(big.s.received[0]?.status).toBe(413)
    expect(big.s.table(DATASET, big.config.table)?.rows).toHaveLength(8)
  })

  it('plan is the insertAll call send makes: same target and body, no socket', async () => {
    const { s, config, send } = await setup({ skip_invalid_rows: true })
    s.createTable(DATASET, config.table, dictionarySchema())
    const events = makeView(3)
    const [call] = await bigquery.plan(makeBatch(bigquery, config, events), config)
    expect(call).toMatchObject({
      kind: 'sdk',
      client: '@google-cloud/bigquery',
      operation: 'tabledata.insertAll',
      target: `${s.apiEndpoint}/bigquery/v2/projects/${PROJECT}/datasets/${DATASET}/tables/${config.table}/insertAll`,
    })
    await send(events)
    const received = s.received[0]
    expect(`${s.apiEndpoint}${received?.url.split('?')[0]}`).toBe(call?.kind === 'sdk' && call.target)
    expect(JSON.parse(received?.rawBody.toString() ?? '{}')).toEqual(call?.kind === 'sdk' && call.params)
  })

  it('over the request size or row limit the batch is split until it fits; a row too large alone is rejected', async () => {
    const { s, config, send } = await setup({}, { maxRequestBytes: 20_000, maxRows: 8 })
    s.createTable(DATASET, config.table, dictionarySchema())
    const events = makeView(20)
    const big = events[7] as EnrichedEvent
    events[7] = {
      ...big,
      error: { code: 'x', message: 'm', fatal: false, category: 'technical', detail: 'd'.repeat(25_000) },
    }
    const outcomes = await send(events)
    expect(outcomes.filter((o) => o.kind === 'delivered')).toHaveLength(19)
    expect(outcomes[7]).toMatchObject({
      kind: 'rejected',
      status: 400,
      reason: 'BigQuery 400 badRequest: Request payload size exceeds the limit: 20000 bytes.',
    })
    expect(s.table(DATASET, config.table)?.rows).toHaveLength(19)
    // Refused for the row count (8) and for the size, then split: every accepted request kept the limits.
    const accepted = s.received.filter((r) => r.status === 200)
    for (const r of accepted) expect(r.rawBody.length).toBeLessThanOrEqual(20_000)
    expect(s.received.filter((r) => r.status === 400).length).toBeGreaterThan(1)
  })

  it('a BigQuery endpoint that is down makes the batch retryable', async () => {
    const config = settings({ api_endpoint: 'http://127.0.0.1:1' })
    const resources = (await bigquery.open?.(config, makeOpenContext())) as BigQueryResources
    const outcomes = await bigquery.send(
      makeBatch(bigquery, config, makeView(2)),
      makeContext(config, suite.agent, { resources }),
    )
    expect(outcomes.every((o) => o.kind === 'retry' && o.reason.startsWith('BigQuery request failed'))).toBe(
      true,
    )
  })
})
