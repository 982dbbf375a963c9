import type { LazyAdmin } from '../lib/kafka-admin.ts'
import type { BenchRun } from '../lib/run-bench.ts'
import type { Options } from './options.ts'

/** Events per request. */
export const BATCH_SIZE = 10

/** What every part of one end-to-end bench invocation needs to know. */
export interface E2eContext {
  options: Options
  run: BenchRun
  admin: LazyAdmin
  /** In the name of every topic and consumer group of this invocation: bench-e2e-<run id>. */
  marker: string
  writeKey: string
}
