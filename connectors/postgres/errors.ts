/**
 * What a failed statement means for the rows it carried, by SQLSTATE
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html):
 *
 * - `retry`: the server or the connection is the problem, not the rows: no code at all (socket errors,
 *   "Connection terminated unexpectedly", connect timeouts), class 08 connection exception, 53 insufficient
 *   resources, 57 operator intervention (57P01 admin shutdown during a restart, 57014 statement timeout),
 *   58 system error, 40 transaction rollback (40001 serialization failure, 40P01 deadlock), 55P03 lock not
 *   available, XX internal error, and anything unknown;
 * - `data`: the rows are the problem: class 22 data exception (e.g. 22P05, a \u0000 in a string), 23
 *   integrity constraint violation, 54 program limit exceeded (an index row too large);
 * - `missing_table`: 42P01 undefined table, 3F000 undefined schema (dropped after it was created);
 * - `credentials`: the server refuses the role: class 28 invalid authorization (28P01 wrong password, 28000
 *   no pg_hba.conf entry, role may not log in) and 42501 insufficient privilege (INSERT revoked). Nothing
 *   passes until an operator fixes the role, so the connector pauses;
 * - `reject`: the configuration is wrong and no retry will fix it: other class 42 errors (undefined column…),
 *   3D000 unknown database.
 */
export type SqlErrorKind = 'retry' | 'data' | 'missing_table' | 'credentials' | 'reject'

const SQLSTATE = /^[0-9A-Z]{5}$/

export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && SQLSTATE.test(code) ? code : undefined
}

export function classifySqlError(error: unknown): SqlErrorKind {
  const code = sqlState(error)
  if (code === undefined) return 'retry'
  if (code === '42P01' || code === '3F000') return 'missing_table'
  if (code === '55P03') return 'retry'
  const cls = code.slice(0, 2)
  if (cls === '22' || cls === '23' || cls === '54') return 'data'
  if (cls === '28' || code === '42501') return 'credentials'
  if (cls === '42' || code === '3D000') return 'reject'
  return 'retry'
}

/** "PostgreSQL 22P05: unsupported Unicode escape sequence" or the socket error's message. */
export function describeSqlError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const code = sqlState(error) ?? (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? `PostgreSQL ${code}: ${message}` : `PostgreSQL: ${message}`
}
