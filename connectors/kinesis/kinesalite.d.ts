// kinesalite ships no types; only what the tests use.
declare module 'kinesalite' {
  import type { Server } from 'node:http'

  interface KinesaliteOptions {
    /** Milliseconds a stream stays CREATING (default 500). */
    createStreamMs?: number
    deleteStreamMs?: number
    updateStreamMs?: number
    /** Shards per account (default 10). */
    shardLimit?: number
    /** LevelDB directory; in memory when absent. */
    path?: string
  }

  export default function kinesalite(options?: KinesaliteOptions): Server
}
