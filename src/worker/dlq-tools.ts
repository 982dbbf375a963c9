import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { SingleBar } from 'cli-progress'
import type { Logger } from 'pino'
import type { Bus, ConsumedRecord } from '../bus/bus.ts'
import type { FramewireConfig } from '../config/types.ts'
import type { EnrichedEvent } from '../event.ts'
import { type AnyConnector, ConnectorWorker } from './connector-worker.ts'
import { type DeadLetterEntry, type DeadLetterReason, deadLetterTopic } from './dead-letter.ts'
import { connectorAgent } from './worker-group.ts'

/** What `framewire dlq inspect|replay <connector>` needs. */
export interface DlqContext {
  config: Pick<FramewireConfig, 'topics' | 'bus' | 'kafka' | 'connectors'>
  bus: Bus
  logger: Logger
  /** Where the listing, progress bar and summary go. */
  out: NodeJS.WritableStream
}

/**
 * The bus cannot tell where a topic ends, so reading stops after a stretch of silence.
 * (With an end-offsets query on the bus this would be exact.)
 */
export interface ReadOptions {
  /** Silence, with nothing left to do, after which the topic counts as read to its end. */
  idleMs?: number
  /** Wait for the first record; joining a new consumer group alone takes seconds. */
  firstRecordTimeoutMs?: number
}

export interface InspectedEntry {
  partition: number
  offset: bigint
  entry: DeadLetterEntry
}

export interface ReplaySummary {
  /** Entries taken from the dead-letter topic. */
  replayed: number
  delivered: number
  /** Dead-lettered again: appended anew to the topic, for the next replay. */
  failedAgain: number
  /** The connector now skips them (e.g. its settings exclude the type). */
  skipped: number
}

const REASONS: DeadLetterReason[] = ['rejected', 'retries_exhausted', 'transform_error']

/**
 * Lists every entry of a connector's dead-letter topic, oldest first per partition, with a throwaway
 * consumer group that commits nothing.
 */
export async function inspectDeadLetters(
  connectorName: string,
  ctx: DlqContext,
  options: ReadOptions = {},
): Promise<InspectedEntry[]> {
  const spec = deadLetterTopic(ctx.config, connectorName)
  await ctx.bus.ensureTopics([spec])
  const entries: InspectedEntry[] = []
  const activity = new Activity()
  const subscription = await ctx.bus.subscribe({
    group: `${ctx.config.kafka.group_prefix}dlq-inspect.${connectorName}.${randomUUID()}`,
    topics: [spec.topic],
    fromBeginning: true,
    async onRecord(record) {
      activity.touch()
      try {
        entries.push({ partition: record.partition, offset: record.offset, entry: parseEntry(record) })
      } catch (error) {
        ctx.logger.warn(
          { err: error, partition: record.partition, offset: record.offset },
          'not a dead-letter entry',
        )
      }
    },
  })
  try {
    await activity.quiet(() => false, options)
  } finally {
    await subscription.stop()
  }
  entries.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : 1))
  for (const { partition, offset, entry } of entries)
    ctx.out.write(`${formatEntry(partition, offset, entry)}\n`)
  const counts = REASONS.map(
    (reason) => `${reason} ${entries.filter((e) => e.entry.reason === reason).length}`,
  )
  ctx.out.write(`${entries.length} entries in ${spec.topic} (${counts.join(', ')})\n`)
  return entries
}

/**
 * Re-sends dead-lettered events through the connector's normal runtime path, in this process: the same
 * transform, batching, retry policy, circuit breaker and dead-lettering. Running it here rather than
 * through the service gives exact counts at the end and works while the service is down. The consumer
 * group `<group_prefix>dlq-replay.<name>` is the cursor: each entry is replayed once, and entries that fail again are
 * appended anew for a later replay. Destinations drop repeats by the events' dedupe keys, so replaying
 * an entry that was in fact delivered does no harm.
 */
export async function replayDeadLetters(
  connectorName: string,
  ctx: DlqContext & { connectors: Readonly<Record<string, AnyConnector>> },
  options: ReadOptions = {},
): Promise<ReplaySummary> {
  const config = ctx.config.connectors.find((candidate) => candidate.name === connectorName)
  if (!config) throw new Error(`no connector named "${connectorName}" in the config`)
  const connector = ctx.connectors[config.type]
  if (!connector) throw new Error(`connector "${connectorName}" has unknown type "${config.type}"`)
  const spec = deadLetterTopic(ctx.config, connectorName)
  await ctx.bus.ensureTopics([spec])

  const summary: ReplaySummary = { replayed: 0, delivered: 0, failedAgain: 0, skipped: 0 }
  const bar = new SingleBar({
    stream: ctx.out,
    format: 'replay {bar} {value}/{total} | delivered {delivered} | failed again {failedAgain}',
    hideCursor: true,
  })
  bar.start(0, 0, summary)
  const activity = new Activity()
  const startedAt = Date.now()
  const ended = new Set<number>()
  const agent = connectorAgent(config)
  const worker = new ConnectorWorker({
    config,
    connector,
    bus: ctx.bus,
    group: `${ctx.config.kafka.group_prefix}dlq-replay.${connectorName}`,
    topics: [spec.topic],
    deadLetterTopic: spec.topic,
    http: agent,
    logger: ctx.logger,
    accept(record) {
      // Entries appended since the replay began, its own failures among them, wait for the next replay.
      if (ended.has(record.partition) || record.timestamp >= startedAt) {
        ended.add(record.partition)
        return false
      }
      activity.touch()
      summary.replayed++
      bar.setTotal(summary.replayed)
      return true
    },
    decode: (record) => eventOf(parseEntry(record)),
    onSettled(settlement) {
      activity.touch()
      if (settlement === 'delivered') summary.delivered++
      else if (settlement === 'dead_lettered') summary.failedAgain++
      else summary.skipped++
      bar.update(summary.delivered + summary.failedAgain + summary.skipped, summary)
    },
  })
  try {
    await worker.start()
    await activity.quiet(() => worker.buffered > 0, options)
  } finally {
    await worker.stop()
    bar.stop()
    await agent.destroy()
  }
  ctx.out.write(
    `replayed ${summary.replayed} from ${spec.topic}: delivered ${summary.delivered}, ` +
      `failed again ${summary.failedAgain}, skipped ${summary.skipped}\n`,
  )
  return summary
}

function parseEntry(record: ConsumedRecord): DeadLetterEntry {
  return JSON.parse(record.value.toString('utf8')) as DeadLetterEntry
}

function eventOf(entry: DeadLetterEntry): EnrichedEvent {
  if (!entry.event) throw new Error('dead-letter entry has no event: the original record was not JSON')
  return entry.event
}

function formatEntry(partition: number, offset: bigint, entry: DeadLetterEntry): string {
  return [
    `${partition}:${offset}`,
    new Date(entry.dead_lettered_at).toISOString(),
    entry.reason.padEnd(17),
    String(entry.status ?? '-').padEnd(3),
    `attempts=${entry.attempts}`,
    entry.event ? `${entry.event.type} ${entry.event.event_id}` : '(unparsable record)',
    entry.error,
  ].join('  ')
}

/** Tells when a consumer has gone quiet: no record and no settlement for a while, and nothing pending. */
class Activity {
  #last: number | undefined
  readonly #started = Date.now()

  touch(): void {
    this.#last = Date.now()
  }

  async quiet(
    busy: () => boolean,
    { idleMs = 2000, firstRecordTimeoutMs = 15_000 }: ReadOptions,
  ): Promise<void> {
    for (;;) {
      await sleep(100)
      const silence = Date.now() - (this.#last ?? this.#started)
      if (!busy() && silence >= (this.#last === undefined ? firstRecordTimeoutMs : idleMs)) return
    }
  }
}
