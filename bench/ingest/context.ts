import type { BenchRun } from '../lib/run-bench.ts'
import type { Options } from './options.ts'

/** What every part of one ingest bench invocation needs to know. */
export interface IngestContext {
  options: Options
  run: BenchRun
  /** In the name of every topic of this invocation: bench-<run id>-. */
  marker: string
  writeKey: string
}
