import { randomUUID } from 'node:crypto'
import pg from 'pg'
import type { ContractFixture, SentRequest } from '../../test/contract/fixture.ts'
import { createTableSql, type PostgresRow } from './sql.ts'

// The machine's real PostgreSQL (trust auth on 127.0.0.1); override for another server.
const ADMIN_URL = process.env.FRAMEWIRE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
// A role without superuser rights, so a REVOKE really refuses it.
const ROLE = 'fw_contract'

type QueryArgs = [config: { text?: string; values?: unknown[] }, values: unknown, cb: unknown]
type Callback = (err: Error | null, res?: unknown) => void
/** A fault applied to the next INSERT: it gets the client and runs the query itself (or not). */
type Fault = (client: pg.Client, run: (cb: Callback) => void, cb: Callback) => Promise<void>

/**
 * The contract against the real server. Faults are the server's own answers, armed on the next INSERT the
 * connector's driver sends (node-postgres' Client.query is wrapped, which also records the calls):
 * unavailable = the backend is terminated (57P01 admin_shutdown, as in a restart); reset = the socket
 * closes while the statement is in flight; refused credentials = INSERT revoked from the role for that one
 * statement (42501); partial failure = a CHECK constraint the chosen event ids violate (23514).
 */
const fixture: ContractFixture = {
  async start() {
    const admin = new pg.Pool({ connectionString: ADMIN_URL, max: 2 })
    admin.on('error', () => undefined)
    const table = `fw_contract_${randomUUID().slice(0, 8)}`
    const qualified = `public.${table}`
    await admin.query(
      `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${ROLE}') THEN CREATE ROLE ${ROLE} LOGIN; END IF; END $$`,
    )
    await admin.query(createTableSql({ schema: 'public', table }))
    await admin.query(`GRANT SELECT, INSERT ON ${qualified} TO ${ROLE}`)
    const url = new URL(ADMIN_URL)
    url.username = ROLE

    const calls: SentRequest[] = []
    let pending: Promise<unknown> = Promise.resolve()
    let next: Fault | undefined
    const arm = (fault: Fault) => {
      next = fault
    }
    const original = pg.Client.prototype.query
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const [config, values, cb] = args as QueryArgs
      if (typeof cb !== 'function' || !config?.text?.startsWith(`INSERT INTO "public"."${table}"`)) {
        return (original as (...a: unknown[]) => unknown).apply(this, args)
      }
      const rows = JSON.parse(String(config.values?.[0] ?? '[]')) as PostgresRow[]
      calls.push({ ids: rows.map((row) => row.event_id) })
      const run = (done: Callback) =>
        (original as (...a: unknown[]) => unknown).call(this, config, values, done)
      const fault = next
      next = undefined
      pending = pending.then(() => (fault ? fault(this, run, cb as Callback) : run(cb as Callback)))
      return undefined
    } as typeof original

    return {
      settings: { connection_string: url.toString(), table, create_table: false, connect_timeout_ms: 2_000 },
      requests: () => calls,
      stored: async () =>
        (await admin.query(`SELECT event_id FROM ${qualified}`)).rows.map((r) => r.event_id),
      throttle: {
        unsupported:
          'PostgreSQL has no throttling answer with a wait to honour: an overloaded server refuses connections ' +
          '(53300) or times statements out (57014), both retried with the runtime backoff',
      },
      unavailable: () =>
        arm(async (client, run, cb) => {
          await admin.query('SELECT pg_terminate_backend($1)', [
            (client as unknown as { processID: number }).processID,
          ])
          run(cb)
        }),
      reset: () =>
        arm(async (client, run, cb) => {
          run(cb)
          ;(client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy()
        }),
      refuseCredentials: () =>
        arm(async (_client, run, cb) => {
          await admin.query(`REVOKE INSERT ON ${qualified} FROM ${ROLE}`)
          run((err, res) => {
            admin.query(`GRANT INSERT ON ${qualified} TO ${ROLE}`).then(() => cb(err, res), cb)
          })
        }),
      partial: {
        fail(ids) {
          const list = ids.map((id) => pg.escapeLiteral(id)).join(', ')
          pending = pending.then(() =>
            admin.query(
              `ALTER TABLE ${qualified} ADD CONSTRAINT ${table}_contract CHECK (event_id::text NOT IN (${list})) NOT VALID`,
            ),
          )
        },
        failed: 'rejected',
      },
      oversized: {
        unsupported:
          'PostgreSQL stores a jsonb value of up to 255 MB: a record over the 16 MiB batch limit travels alone and is stored',
      },
      async stop() {
        pg.Client.prototype.query = original
        await pending.catch(() => undefined)
        await admin.query(`DROP TABLE IF EXISTS ${qualified}`)
        await admin.end()
      },
    }
  },
}
export default fixture
