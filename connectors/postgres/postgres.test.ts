import { randomUUID } from 'node:crypto'
import { Pool } from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { loadExampleEvents } from '../../src/dictionary/schema-files.ts'
import type { EnrichedEvent } from '../../src/event.ts'
import { kindsAt } from '../../test/fixtures/connector-results.ts'
import { makeEvent, makeView } from '../../test/fixtures/events.ts'
import { makeAgent, makeBatch, makeContext, makeOpenContext } from '../../test/fixtures/send-context.ts'
import { classifySqlError } from './errors.ts'
import postgres, { type PostgresSettings, type PostgresWriter } from './index.ts'
import { createTableSql, insertSql, type PostgresRow } from './sql.ts'

// The real PostgreSQL of the machine (trust auth); override for another server.
const PG_URL = process.env.FRAMEWIRE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

function settings(overrides: Partial<PostgresSettings> = {}): PostgresSettings {
  return {
    connection_string: PG_URL,
    schema: 'public',
    table: `fw_test_${randomUUID().slice(0, 8)}`,
    create_table: true,
    pool_size: 2,
    statement_timeout_ms: 5_000,
    connect_timeout_ms: 2_000,
    max_rows: 1_000,
    ...overrides,
  }
}

describe('postgres transform and SQL', () => {
  it('maps the common fields to columns and keeps the whole event as payload', () => {
    const event = makeEvent({ user: { id: 'user-20391', consent: { analytics: true } } })
    const row = postgres.transform(event, settings()) as PostgresRow
    expect(row).toEqual({
      event_id: event.event_id,
      type: 'playing',
      ts: '2026-03-01T12:00:00.000Z',
      ts_corrected: '2026-03-01T12:00:00.040Z',
      received_at: '2026-03-01T12:00:00.180Z',
      session_id: event.session_id,
      view_id: event.view_id,
      seq: 4,
      source: 'web-player',
      content_id: 'ep-4711',
      user_id: 'user-20391',
      payload: event,
    })
    expect(postgres.transform(makeEvent({ content: undefined }), settings())).toMatchObject({
      content_id: null,
      user_id: null,
    })
  })

  it('builds quoted DDL and an idempotent insert from one column list', () => {
    const name = { schema: 'analytics', table: 'video_events' }
    const ddl = createTableSql(name)
    expect(ddl).toContain('CREATE SCHEMA IF NOT EXISTS "analytics"')
    expect(ddl).toContain('CREATE TABLE IF NOT EXISTS "analytics"."video_events"')
    expect(ddl).toContain('event_id uuid PRIMARY KEY')
    expect(ddl).toContain('payload jsonb NOT NULL')
    expect(ddl).toContain(
      '"video_events_received_at_brin" ON "analytics"."video_events" USING brin (received_at)',
    )
    expect(createTableSql({ schema: 'public', table: 't' })).not.toContain('CREATE SCHEMA')
    const insert = insertSql(name)
    expect(insert).toContain('FROM jsonb_to_recordset($1::jsonb) AS r(event_id uuid,')
    expect(insert).toMatch(/ON CONFLICT \(event_id\) DO NOTHING$/)
  })

  it.each([
    [{ code: 'ECONNREFUSED' }, 'retry'],
    [new Error('Connection terminated unexpectedly'), 'retry'],
    [{ code: '57P01' }, 'retry'],
    [{ code: '08006' }, 'retry'],
    [{ code: '53300' }, 'retry'],
    [{ code: '40001' }, 'retry'],
    [{ code: '40P01' }, 'retry'],
    [{ code: '57014' }, 'retry'],
    [{ code: '22P05' }, 'data'],
    [{ code: '23502' }, 'data'],
    [{ code: '54000' }, 'data'],
    [{ code: '42P01' }, 'missing_table'],
    [{ code: '42703' }, 'reject'],
    [{ code: '3D000' }, 'reject'],
    [{ code: '42501' }, 'credentials'],
    [{ code: '28P01' }, 'credentials'],
    [{ code: '28000' }, 'credentials'],
  ] as const)('classifies %o as %s', (error, kind) => {
    expect(classifySqlError(error)).toBe(kind)
  })
})

describe('postgres send against the real server', () => {
  const admin = new Pool({ connectionString: PG_URL, max: 2 })
  const agent = makeAgent()
  const writers: PostgresWriter[] = []
  const tables: string[] = []

  async function open(config: PostgresSettings) {
    const writer = (await postgres.open?.(config, makeOpenContext())) as PostgresWriter
    writers.push(writer)
    tables.push(config.table)
    const send = (events: EnrichedEvent[]) =>
      postgres.send(makeBatch(postgres, config, events), makeContext(config, agent, { resources: writer }))
    return { writer, send }
  }
  const count = async (table: string) =>
    Number((await admin.query(`SELECT count(DISTINCT event_id) AS n, count(*) AS c FROM ${table}`)).rows[0].c)

  beforeAll(async () => {
    await admin.query('SELECT 1')
  })
  afterEach(async () => {
    for (const writer of writers.splice(0)) await postgres.close?.(writer)
    for (const table of tables.splice(0)) await admin.query(`DROP TABLE IF EXISTS ${table}`)
  })
  afterAll(async () => {
    await admin.end()
    await agent.close()
  })

  it('creates the table on first use and inserts each event once, even when the batch is sent again', async () => {
    const config = settings()
    const { send } = await open(config)
    const view = makeView(25)
    expect(await send(view)).toEqual(view.map(() => ({ kind: 'delivered' })))
    expect(await send(view)).toEqual(view.map(() => ({ kind: 'delivered' })))
    expect(await count(config.table)).toBe(25)

    const { rows } = await admin.query(
      `SELECT type, seq, ts, received_at, content_id, payload FROM ${config.table} WHERE event_id = $1`,
      [view[3]?.event_id],
    )
    expect(rows[0]).toMatchObject({ type: 'playback_start', seq: '3', content_id: 'ep-4711' })
    expect(rows[0].ts).toEqual(new Date(view[3]?.ts ?? 0))
    expect(rows[0].payload).toEqual(view[3])
    const indexes = await admin.query('SELECT indexname FROM pg_indexes WHERE tablename = $1', [config.table])
    expect(indexes.rows.map((r) => r.indexname).sort()).toEqual(
      ['content_idx', 'pkey', 'received_at_brin', 'session_idx', 'view_seq_idx'].map(
        (s) => `${config.table}_${s}`,
      ),
    )
  })

  it('stores every data dictionary example', async () => {
    const config = settings()
    const { send } = await open(config)
    const examples = [...loadExampleEvents().values()].map(
      (e, i) =>
        ({
          ...e,
          ts_corrected: 1_772_366_400_000 + i,
          received_at: 1_772_366_400_000 + i,
          source: 'web',
          ingest_node: 'n1',
          client_ip: '203.0.113.0',
        }) as EnrichedEvent,
    )
    expect(examples.length).toBeGreaterThanOrEqual(20)
    expect(await send(examples)).toEqual(examples.map(() => ({ kind: 'delivered' })))
    expect(await count(config.table)).toBe(examples.length)
  })

  it('a bad row does not block the batch: rows are retried one by one and only the bad ones are rejected', async () => {
    const config = settings()
    const { send } = await open(config)
    const view = makeView(8)
    // PostgreSQL text and jsonb cannot hold U+0000 (22P05); a seq beyond bigint is 22003.
    view[2] = { ...(view[2] as EnrichedEvent), content: { id: 'ep-1', title: 'bad\u0000title' } }
    view[5] = { ...(view[5] as EnrichedEvent), seq: 1e20 }
    const outcomes = await send(view)
    expect(outcomes.map((o) => o.kind)).toEqual(kindsAt(8, { 2: 'rejected', 5: 'rejected' }))
    expect(outcomes[2]).toMatchObject({ reason: expect.stringMatching(/^PostgreSQL 22P05: /) })
    expect(outcomes[5]).toMatchObject({ reason: expect.stringMatching(/^PostgreSQL 22003: /) })
    expect(await count(config.table)).toBe(6)
  })

  it('a table dropped behind its back is created again: the batch is retried, then delivered', async () => {
    const config = settings()
    const { send } = await open(config)
    expect((await send(makeView(3))).every((o) => o.kind === 'delivered')).toBe(true)
    await admin.query(`DROP TABLE ${config.table}`)
    const view = makeView(4)
    const outcomes = await send(view)
    expect(outcomes).toEqual(
      view.map(() => ({ kind: 'retry', reason: expect.stringMatching(/^PostgreSQL 42P01: /), afterMs: 0 })),
    )
    expect(await send(view)).toEqual(view.map(() => ({ kind: 'delivered' })))
    expect(await count(config.table)).toBe(4)
  })

  it('configuration errors reject the batch: a missing table without create_table, a wrong column layout', async () => {
    const missing = await open(settings({ create_table: false }))
    const outcomes = await missing.send(makeView(2))
    expect(outcomes.every((o) => o.kind === 'rejected' && o.reason.startsWith('PostgreSQL 42P01'))).toBe(true)

    const config = settings()
    await admin.query(`CREATE TABLE ${config.table} (event_id uuid PRIMARY KEY, type text)`)
    const wrong = await open(config)
    const rejected = await wrong.send(makeView(2))
    expect(rejected.every((o) => o.kind === 'rejected' && o.reason.startsWith('PostgreSQL 42703'))).toBe(true)
  })

  it('plan shows CREATE TABLE and the INSERT send runs, without running either', async () => {
    const config = settings({ connection_string: 'postgres://framewire:secret@127.0.0.1:5432/test' })
    const events = makeView(3)
    const calls = await postgres.plan(makeBatch(postgres, config, events), config)
    expect(calls.map((c) => c.kind === 'sdk' && c.operation)).toEqual([
      'CREATE TABLE IF NOT EXISTS',
      'INSERT',
    ])
    const insert = calls[1]
    expect(insert).toMatchObject({ target: 'postgres://127.0.0.1:5432/test' })
    expect(JSON.stringify(calls)).not.toContain('secret')
    const params = (insert?.kind === 'sdk' ? insert.params : undefined) as { text: string; values: [string] }
    expect(params.text).toBe(insertSql({ schema: 'public', table: config.table }))
    expect(JSON.parse(params.values[0]).map((r: PostgresRow) => r.event_id)).toEqual(
      events.map((e) => e.event_id),
    )
    // Nothing ran: the table does not exist.
    const { rows } = await admin.query('SELECT to_regclass($1) AS t', [config.table])
    expect(rows[0].t).toBeNull()
    expect(
      (await postgres.plan(makeBatch(postgres, config, events), { ...config, create_table: false })).length,
    ).toBe(1)
  })

  it('a role the server refuses pauses for credentials instead of dead-lettering (28000)', async () => {
    const { send } = await open(
      settings({ connection_string: 'postgres://no_such_role_fw@127.0.0.1:5432/test' }),
    )
    const outcomes = await send(makeView(2))
    expect(outcomes).toEqual(
      [0, 1].map(() => ({
        kind: 'paused',
        cause: 'credentials',
        reason: expect.stringMatching(/^PostgreSQL 28000: role "no_such_role_fw" does not exist/),
      })),
    )
  })

  it('an unreachable server makes the batch retryable', async () => {
    const { send } = await open(settings({ connection_string: 'postgres://postgres@127.0.0.1:1/test' }))
    const outcomes = await send(makeView(3))
    expect(outcomes).toEqual(
      [0, 1, 2].map(() => ({ kind: 'retry', reason: expect.stringMatching(/ECONNREFUSED/) })),
    )
  })
})
