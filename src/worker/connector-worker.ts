import type { Logger } from 'pino'
import type { Dispatcher } from 'undici'
import type { Bus, ConsumedRecord, Subscription } from '../bus/bus.ts'
import type { ConnectorConfig } from '../config/types.ts'
import type { EnrichedEvent } from '../event.ts'
import type { CompiledPipeline, StageName } from '../pipeline/compile-pipeline.ts'
import { type PipelineMetrics, pipelineMetrics } from '../pipeline/metrics.ts'
import type { ConnectorTrace } from '../trace/connector-trace.ts'
import { Batcher, effectiveLimits } from './batcher.ts'
import { BufferLimit } from './buffer-limit.ts'
import { CircuitBreaker, type CircuitState } from './circuit-breaker.ts'
import { type BatchItem, type ConnectorDefinition, type Outcome, SKIP } from './connector.ts'
import { type DeadLetterEntry, type DeadLetterReason, DeadLetterWriter } from './dead-letter.ts'
import { bodyExcerpt, ConnectorDisabledError } from './http-outcome.ts'
import { type ConnectorMetrics, connectorMetrics, type SendResult } from './metrics.ts'
import { OffsetTracker, type Ticket } from './offset-tracker.ts'
import { PauseGate, type PauseState } from './pause-gate.ts'
import { RetryPolicy } from './retry-policy.ts'
import { RetryQueue } from './retry-queue.ts'

/** A connector of any settings and record type, as the registry holds them. */
export type AnyConnector = ConnectorDefinition<never, unknown>

/** disabled: the destination asked to stop; failed: the connector broke its contract (a bug). */
export type WorkerState = 'running' | 'stopping' | 'stopped' | 'disabled' | 'failed'

/** A record's final outcome; only then may its offset be committed. */
export type Settlement = 'delivered' | 'dead_lettered' | 'skipped'

export interface ConnectorWorkerOptions {
  config: ConnectorConfig
  connector: AnyConnector
  bus: Bus
  /** Consumer group, `<group_prefix>connector.<name>` for the live worker. */
  group: string
  topics: string[]
  deadLetterTopic: string
  /** Keep-alive dispatcher handed to the connector's `send`. */
  http: Dispatcher
  logger: Logger
  /** Turns a consumed record into the event; defaults to parsing the value as JSON. */
  decode?(record: ConsumedRecord): EnrichedEvent
  /**
   * Records declined here are left alone: not processed and never committed. Once it declines a record of
   * a partition it must decline the rest of that partition, or a later commit would skip the declined one.
   */
  accept?(record: ConsumedRecord): boolean
  onSettled?(settlement: Settlement): void
  /**
   * The connector's compiled pipeline (routing, consent, filter, sampling, segments, privacy, mapping, cap),
   * run on each event before `transform`; a dropped event settles as skipped. Without it events pass as
   * they are (DLQ replay: dead-lettered events already went through it).
   */
  pipeline?: CompiledPipeline
  /** How often a paused connector probes when the destination named no window (default 30 s). */
  probeMs?: number
  /** Adds this connector's stages to the traces of sampled events. */
  trace?: ConnectorTrace
}

interface Source {
  topic: string
  partition: number
  offset: bigint
}

/** One consumed record on its way to the destination. */
interface WorkItem {
  source: Source
  ticket: Ticket
  item: BatchItem<unknown>
  bytes: number
  attempts: number
  firstAttemptAt: number
  lastAttemptAt: number
  lastFailure?: { error: string; status?: number; body?: string }
  /** The event_id the record's trace is under, when it is sampled for one. */
  tracedId: string | undefined
}

/** A record on its way to the dead-letter topic, with the id of its trace when sampled. */
interface DeadLetterItem {
  ticket: Ticket
  entry: DeadLetterEntry
  tracedId?: string | undefined
}

const decodeJson = (record: ConsumedRecord): EnrichedEvent => JSON.parse(record.value.toString('utf8'))
const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error))

class SendTimeoutError extends Error {
  override name = 'SendTimeoutError'
}

/** A connector that answered a batch with the wrong number of outcomes: a bug, not a destination failure. */
class ContractViolation extends Error {
  override name = 'ContractViolation'
}

/** JSON bytes plus a separator: what most vendors' array bodies spend on a record. */
const jsonBytes = (record: unknown): number => Buffer.byteLength(JSON.stringify(record)) + 1

/** How often a paused connector probes when the destination named no window of its own. */
export const DEFAULT_PAUSE_PROBE_MS = 30_000

/**
 * Runs one connector instance: consumes its own consumer group, transforms, batches and sends, retries,
 * dead-letters, and commits each partition up to the first record without a final outcome. Memory is
 * bounded by `max_buffered_records`: at the limit the consumer waits and the backlog stays in the bus.
 */
export class ConnectorWorker {
  readonly name: string
  #state: WorkerState = 'running'
  #subscription: Subscription | undefined
  #paused = false
  readonly #options: ConnectorWorkerOptions
  readonly #settings: never
  #resources: unknown
  readonly #log: Logger
  readonly #metrics: ConnectorMetrics
  readonly #pipelineMetrics: PipelineMetrics
  readonly #tracker = new OffsetTracker()
  readonly #buffer: BufferLimit
  readonly #batcher: Batcher<WorkItem>
  readonly #retries: RetryQueue<WorkItem>
  readonly #policy: RetryPolicy
  readonly #breaker: CircuitBreaker
  readonly #gate: PauseGate
  readonly #deadLetters: DeadLetterWriter
  /** Dead-letter writes not started from a send (transform errors), awaited when draining. */
  readonly #pendingDeadLetters = new Set<Promise<void>>()
  /** Aborts the sends in flight when a drain runs out of time. */
  readonly #abortSends = new AbortController()
  /** Ends waits for cap tokens when the worker stops. */
  readonly #abortWaits = new AbortController()
  #committing: Promise<void> | undefined
  #commitAgain = false
  #leaving: Promise<void> | undefined
  #stopped: Promise<void> | undefined
  #opened: Promise<void> | undefined

  constructor(options: ConnectorWorkerOptions) {
    const { config, connector } = options
    this.#options = options
    this.name = config.name
    this.#settings = config.settings as never
    this.#log = options.logger.child({ connector: config.name, type: connector.type })
    this.#metrics = connectorMetrics(config.name)
    this.#pipelineMetrics = pipelineMetrics(config.name)
    this.#buffer = new BufferLimit(config.max_buffered_records, (held) => this.#metrics.buffered(held))
    this.#policy = new RetryPolicy(config.retry)
    this.#breaker = new CircuitBreaker(config.circuit_breaker, (state) => this.#onCircuit(state))
    this.#gate = new PauseGate((state) => this.#onPause(state))
    this.#deadLetters = new DeadLetterWriter(options.bus, options.deadLetterTopic, this.#log)
    const vendorLimits = connector.limits(this.#settings)
    this.#batcher = new Batcher<WorkItem>({
      limits: effectiveLimits(vendorLimits, config.batching),
      lingerMs: vendorLimits.lingerMs ?? config.batching.linger_ms,
      maxInFlight: config.batching.max_in_flight,
      sizeOf: (work) => work.bytes,
      send: (batch) => this.#send(batch),
      // The pause gate is asked first: a batch it holds back must not take the breaker's one probe.
      mayStart: () => {
        if (!this.#gate.mayStart() || !this.#breaker.tryAcquire()) return false
        this.#gate.started()
        return true
      },
    })
    this.#retries = new RetryQueue<WorkItem>((due) => {
      // Send what is open first, so a retried group goes out as it was (S3 keys derive from its items).
      this.#batcher.flush()
      for (const work of due) this.#batcher.add(work)
      // They already waited their backoff; do not add the linger time on top.
      this.#batcher.flush()
    })
  }

  get state(): WorkerState {
    return this.#state
  }

  /** Whether its consumer has joined the group yet: before that, an event waits for the join. */
  get joined(): boolean {
    return this.#subscription?.joined ?? false
  }

  /** Records held in memory: batching, in flight, waiting for a retry or for the dead-letter topic. */
  get buffered(): number {
    return this.#buffer.held
  }

  /**
   * Opens the connector's resources without consuming yet, so a hot reload learns that the new worker can
   * run before it stops the old one. `start` opens it if this was not called.
   */
  open(): Promise<void> {
    this.#opened ??= (async () => {
      this.#resources = await this.#options.connector.open?.(this.#settings, {
        log: this.#log,
        name: this.name,
      })
    })()
    return this.#opened
  }

  async start(): Promise<void> {
    await this.open()
    this.#metrics.live({
      records: () => this.#tracker.lag(),
      oldestPendingAt: () => this.#tracker.oldestPendingAt(),
    })
    const subscription = await this.#options.bus.subscribe({
      group: this.#options.group,
      topics: this.#options.topics,
      // Like Kafka Connect sinks: a new connector starts with what the topic still retains.
      fromBeginning: true,
      onRecord: (record) => this.#onRecord(record),
      onRevoke: (topic, partitions) => this.#onRevoke(topic, partitions),
    })
    this.#subscription = subscription
    // The breaker may have opened, and records settled, before the subscription existed.
    if (this.#consumptionHeld()) subscription.pause()
    this.#scheduleCommit()
    this.#log.info({ group: this.#options.group, topics: this.#options.topics }, 'connector worker started')
  }

  /**
   * Stops consuming, lets the batches in flight finish (at most `drainMs`), commits what has a final
   * outcome and leaves the subscription. Records still waiting (retries, an open breaker) stay uncommitted
   * and are consumed again by the next owner of the partition.
   */
  stop(drainMs = 10_000): Promise<void> {
    this.#stopped ??= this.#stop(drainMs)
    return this.#stopped
  }

  async #stop(drainMs: number): Promise<void> {
    const wasDisabled = this.#halted()
    this.#state = 'stopping'
    this.#subscription?.pause()
    this.#buffer.releaseWaiters()
    this.#abortWaits.abort()
    this.#retries.stop()
    if (!wasDisabled) {
      this.#batcher.flush()
      const drained = await settlesWithin(this.#drained(), drainMs)
      if (!drained) this.#log.warn({ drainMs }, 'drain timed out; unfinished records stay uncommitted')
      this.#abortSends.abort()
      this.#deadLetters.close()
      // Batches the breaker kept back will not go out now; wait only for the (aborted) ones in flight.
      this.#batcher.discard(() => true)
      await this.#drained()
      await this.#committing
      await this.#commitDue()
    }
    this.#teardown()
    await this.#leave()
    // Only resources that opened are closed: a worker whose open() failed is stopped too.
    const opened = await this.#opened?.then(
      () => true,
      () => false,
    )
    if (opened) await this.#options.connector.close?.(this.#resources)
    this.#state = 'stopped'
    this.#log.info('connector worker stopped')
  }

  /** Forgets this connector's metric series (when it is removed for good). */
  removeMetrics(): void {
    this.#metrics.remove()
    this.#pipelineMetrics.remove()
  }

  readonly #filtered = (stage: StageName) => this.#pipelineMetrics.filtered(stage)

  async #onRecord(record: ConsumedRecord): Promise<void> {
    if (this.#state !== 'running' || this.#options.accept?.(record) === false) return
    await this.#buffer.acquire()
    if (this.#state !== 'running') return this.#buffer.release()
    const source = { topic: record.topic, partition: record.partition, offset: record.offset }
    const ticket = this.#tracker.track(record.topic, record.partition, record.offset, record.timestamp)
    const { connector, pipeline, trace } = this.#options
    let event: EnrichedEvent | undefined
    let tracedId: string | undefined
    try {
      event = (this.#options.decode ?? decodeJson)(record)
      if (trace?.sampled(event.event_id)) {
        tracedId = event.event_id
        trace.written(tracedId, record)
      }
      if (pipeline) {
        const decoded = event
        // Should a stage throw, the dead letter keeps the raw record, never an event that skipped privacy.
        event = undefined
        let droppedBy: StageName | undefined
        const onDrop = tracedId
          ? (stage: StageName) => {
              droppedBy = stage
              this.#filtered(stage)
            }
          : this.#filtered
        // The event was just decoded for this worker alone: the pipeline may change it in place.
        const kept = pipeline.run(decoded, onDrop, true)
        if (kept === null) return this.#skip(ticket, tracedId, droppedBy ?? 'pipeline')
        if (pipeline.cap) {
          // With the `delay` action this waits for tokens: backpressure on the consumer, nothing dropped.
          const decision = await pipeline.cap.admit(kept, this.#abortWaits.signal)
          if (decision === 'stopped' || this.#state !== 'running') return this.#buffer.release()
          if (decision === 'drop') {
            this.#filtered('cap')
            return this.#skip(ticket, tracedId, 'cap')
          }
        }
        event = kept
      }
      const dedupeKey = event.event_id
      const vendorRecord = connector.transform(event, this.#settings)
      if (vendorRecord === SKIP) {
        this.#metrics.skipped()
        return this.#skip(ticket, tracedId, 'transform')
      }
      const bytes = (connector.recordBytes ?? jsonBytes)(vendorRecord)
      const item = { record: vendorRecord, event, dedupeKey }
      this.#batcher.add({
        source,
        ticket,
        item,
        bytes,
        attempts: 0,
        firstAttemptAt: 0,
        lastAttemptAt: 0,
        tracedId,
      })
    } catch (error) {
      this.#log.warn({ err: error, partition: record.partition, offset: record.offset }, 'transform failed')
      const entry = this.#entry('transform_error', source, { error: describe(error), attempts: 0 })
      if (event) entry.event = event
      else entry.raw = record.value.toString('utf8')
      const written = this.#deadLetter([{ ticket, entry, tracedId }])
      this.#pendingDeadLetters.add(written)
      void written.finally(() => this.#pendingDeadLetters.delete(written))
    }
  }

  /** Settles a record the pipeline or the connector dropped, saying by what in its trace. */
  #skip(ticket: Ticket, tracedId: string | undefined, by: string): void {
    if (tracedId) this.#options.trace?.filtered(tracedId, by)
    this.#settle(ticket, 'skipped')
  }

  async #send(batch: WorkItem[]): Promise<void> {
    const started = Date.now()
    for (const work of batch) {
      work.attempts++
      work.firstAttemptAt ||= started
      work.lastAttemptAt = started
    }
    this.#metrics.batch(batch.length)
    this.#metrics.inFlight(1)
    let outcomes: Outcome[]
    let result: SendResult
    try {
      outcomes = await this.#sendWithTimeout(batch)
      if (outcomes.length !== batch.length || outcomes.some((outcome) => !outcome)) {
        throw new ContractViolation(
          `the connector returned ${outcomes.filter(Boolean).length} outcomes for a batch of ${batch.length}`,
        )
      }
      const retried = outcomes.filter((outcome) => outcome.kind === 'retry').length
      result = retried === 0 ? 'ok' : retried === batch.length ? 'failed' : 'partial'
    } catch (error) {
      if (error instanceof ConnectorDisabledError || error instanceof ContractViolation) {
        return this.#disable(error)
      }
      this.#log.warn({ err: error, items: batch.length }, 'send failed')
      outcomes = batch.map(() => ({ kind: 'retry', reason: describe(error) }))
      result = 'error'
    } finally {
      this.#metrics.inFlight(-1)
    }
    const now = Date.now()
    this.#metrics.sent(result, (now - started) / 1000)
    for (const outcome of outcomes)
      this.#metrics.outcome(
        result === 'error' ? 'error' : outcome.kind,
        outcome.kind === 'delivered' ? undefined : outcome.status,
      )
    if (this.#halted()) return
    // A pause is an answer, not an outage: the breaker counts it as one that arrived.
    this.#breaker.record(result === 'ok' || result === 'partial')
    const pause = outcomes.find((outcome) => outcome.kind === 'paused')
    const pauseMs = pause && (pause.afterMs ?? this.#probeMs())
    if (pause && pauseMs !== undefined) {
      this.#gate.pause({ cause: pause.cause, reason: pause.reason }, pauseMs, () => this.#batcher.pump())
    } else this.#gate.resume()
    await this.#handleOutcomes(batch, outcomes, now, pauseMs)
  }

  /** A destination that hangs, even one ignoring the signal, frees its slot after request_timeout_ms. */
  async #sendWithTimeout(batch: WorkItem[]): Promise<Outcome[]> {
    const timeoutMs = this.#options.config.retry.request_timeout_ms
    const controller = new AbortController()
    const abandoned = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true })
    })
    const timer = setTimeout(
      () => controller.abort(new SendTimeoutError(`no answer within ${timeoutMs} ms`)),
      timeoutMs,
    )
    const onShutdown = () => controller.abort(new SendTimeoutError('abandoned at shutdown'))
    this.#abortSends.signal.addEventListener('abort', onShutdown, { once: true })
    try {
      const { connector, http } = this.#options
      const ctx = {
        settings: this.#settings,
        resources: this.#resources,
        http,
        signal: controller.signal,
        log: this.#log,
        name: this.name,
      }
      return await Promise.race([
        connector.send(
          batch.map((work) => work.item),
          ctx,
        ),
        abandoned,
      ])
    } finally {
      clearTimeout(timer)
      this.#abortSends.signal.removeEventListener('abort', onShutdown)
    }
  }

  /** `pauseMs`: how long the items answered "paused" are held, when any were. */
  async #handleOutcomes(
    batch: WorkItem[],
    outcomes: Outcome[],
    now: number,
    pauseMs: number | undefined,
  ): Promise<void> {
    const dead: DeadLetterItem[] = []
    const retry: { work: WorkItem; afterMs: number | undefined }[] = []
    const held: WorkItem[] = []
    const { trace } = this.#options
    outcomes.forEach((outcome, index) => {
      const work = batch[index] as WorkItem
      const { tracedId } = work
      if (tracedId) trace?.attempt(tracedId, work.attempts, outcome, now)
      switch (outcome.kind) {
        case 'delivered':
          this.#metrics.delivered(work.item.event.received_at, work.item.event.ts, now)
          if (tracedId) trace?.delivered(tracedId, work.item.event.received_at, now)
          this.#settle(work.ticket, 'delivered')
          break
        case 'rejected':
          work.lastFailure = { error: outcome.reason, status: outcome.status, body: outcome.body }
          dead.push({
            ticket: work.ticket,
            entry: this.#workEntry('rejected', work),
            tracedId: work.tracedId,
          })
          break
        case 'retry':
          work.lastFailure = { error: outcome.reason, status: outcome.status }
          retry.push({ work, afterMs: outcome.afterMs })
          break
        case 'paused':
          if (tracedId) trace?.paused(tracedId, outcome.cause, outcome.reason, now)
          held.push(work)
      }
    })
    if (held.length > 0 && this.#state === 'running') {
      // Held, not retried: the attempt does not count, and the retry window starts again after the pause.
      const at = now + (pauseMs ?? this.#probeMs())
      for (const work of held) {
        work.attempts--
        work.firstAttemptAt = 0
        this.#retries.schedule(work, at)
      }
    }
    if (retry.length > 0) {
      // One jitter draw for the whole failed group keeps it together as one batch on the next attempt.
      const delay = this.#policy.backoffMs(Math.max(...retry.map(({ work }) => work.attempts)))
      let scheduled = 0
      for (const { work, afterMs } of retry) {
        const at = this.#policy.nextAttemptAt(work, delay, afterMs, now)
        if (at === null)
          dead.push({
            ticket: work.ticket,
            entry: this.#workEntry('retries_exhausted', work),
            tracedId: work.tracedId,
          })
        // While stopping nothing is retried: the record stays uncommitted for the partition's next owner.
        else if (this.#state === 'running') {
          this.#retries.schedule(work, at)
          scheduled++
        }
      }
      this.#metrics.retried(scheduled)
    }
    await this.#deadLetter(dead)
  }

  /** Settles the records once the dead-letter topic has them; if it never does, they stay uncommitted. */
  async #deadLetter(items: DeadLetterItem[]): Promise<void> {
    if (items.length === 0) return
    try {
      await this.#deadLetters.write(items.map(({ entry }) => entry))
    } catch (error) {
      this.#log.warn({ err: error, records: items.length }, 'records not dead-lettered; left uncommitted')
      this.#buffer.release(items.length)
      return
    }
    for (const { ticket, entry, tracedId } of items) {
      this.#metrics.deadLettered(entry.reason)
      if (tracedId) this.#options.trace?.deadLettered(tracedId, entry.reason, entry.error)
      this.#settle(ticket, 'dead_lettered')
    }
  }

  #settle(ticket: Ticket, settlement: Settlement): void {
    this.#tracker.done(ticket)
    this.#buffer.release()
    this.#options.onSettled?.(settlement)
    this.#scheduleCommit()
  }

  #workEntry(reason: DeadLetterReason, work: WorkItem): DeadLetterEntry {
    const failure = work.lastFailure ?? { error: 'unknown' }
    const entry = this.#entry(reason, work.source, {
      error: failure.error,
      attempts: work.attempts,
      first_attempt_at: work.firstAttemptAt,
      last_attempt_at: work.lastAttemptAt,
    })
    entry.event = work.item.event
    entry.dedupe_key = work.item.dedupeKey
    if (failure.status !== undefined) entry.status = failure.status
    if (failure.body !== undefined) entry.body_excerpt = bodyExcerpt(failure.body)
    return entry
  }

  #entry(
    reason: DeadLetterReason,
    source: Source,
    details: Pick<DeadLetterEntry, 'error' | 'attempts' | 'first_attempt_at' | 'last_attempt_at'>,
  ): DeadLetterEntry {
    return {
      connector: { name: this.name, type: this.#options.connector.type },
      reason,
      ...details,
      dead_lettered_at: Date.now(),
      source: { topic: source.topic, partition: source.partition, offset: source.offset.toString() },
    }
  }

  #scheduleCommit(): void {
    if (this.#committing) {
      this.#commitAgain = true
      return
    }
    this.#committing = this.#commitDue().finally(() => {
      this.#committing = undefined
      if (this.#commitAgain) {
        this.#commitAgain = false
        this.#scheduleCommit()
      }
    })
  }

  async #commitDue(): Promise<void> {
    const subscription = this.#subscription
    if (!subscription || this.#halted()) return
    for (const position of this.#tracker.commitsDue()) {
      try {
        await subscription.commit(position.topic, position.partition, position.nextOffset)
        this.#tracker.committed(position)
      } catch (error) {
        // The next settlement or the final commit at stop tries again.
        this.#log.warn({ err: error, partition: position.partition }, 'offset commit failed')
      }
    }
  }

  #onRevoke(topic: string, partitions: number[]): void {
    this.#tracker.forget(topic, partitions)
    const revoked = (work: WorkItem) =>
      work.source.topic === topic && partitions.includes(work.source.partition)
    const dropped = this.#batcher.discard(revoked).length + this.#retries.discard(revoked).length
    this.#buffer.release(dropped)
    this.#log.info({ topic, partitions, dropped }, 'partitions revoked')
  }

  /** Stopped for good by the destination (disabled) or by a contract bug (failed). */
  #halted(): boolean {
    return this.#state === 'disabled' || this.#state === 'failed'
  }

  #probeMs(): number {
    return this.#options.probeMs ?? DEFAULT_PAUSE_PROBE_MS
  }

  /** Consumption waits while the breaker is open or the destination refuses everything. */
  #consumptionHeld(): boolean {
    return this.#paused || this.#gate.state !== undefined
  }

  #onPause(state: PauseState | undefined): void {
    this.#metrics.paused(state?.cause)
    if (state) {
      this.#log.warn(
        { cause: state.cause, reason: state.reason, probeMs: this.#probeMs() },
        `connector paused (${state.cause}): ${state.reason}; offsets held, probing until it passes`,
      )
      this.#subscription?.pause()
      return
    }
    this.#log.info('connector resumed: the destination accepts events again')
    if (this.#state === 'running' && !this.#consumptionHeld()) this.#subscription?.resume()
    this.#batcher.pump()
  }

  #onCircuit(state: CircuitState): void {
    this.#metrics.circuit(state)
    this.#paused = state === 'open'
    if (state === 'open') {
      this.#log.warn(
        { openMs: this.#options.config.circuit_breaker.open_ms },
        'circuit open: consumption paused',
      )
      this.#subscription?.pause()
      return
    }
    this.#log.info({ state }, state === 'closed' ? 'circuit closed' : 'circuit half-open: probing')
    if (this.#state === 'running' && !this.#consumptionHeld()) this.#subscription?.resume()
    this.#batcher.pump()
  }

  /**
   * The destination is gone for good, or the connector broke its contract: stop without committing the
   * failed batch, loudly.
   */
  #disable(error: ConnectorDisabledError | ContractViolation): void {
    if (this.#state !== 'running') return
    this.#abortWaits.abort()
    if (error instanceof ContractViolation) {
      this.#state = 'failed'
      this.#metrics.failed()
      this.#log.fatal(
        { err: error },
        'CONNECTOR FAILED: a bug in the connector (one outcome per item is its contract); it is stopped and its offsets stay uncommitted',
      )
    } else {
      this.#state = 'disabled'
      this.#metrics.disabled(true)
      this.#log.error(
        { err: error, status: error.status },
        'CONNECTOR DISABLED: the destination asked to stop receiving events; offsets stay uncommitted until the connector is re-enabled',
      )
    }
    this.#buffer.releaseWaiters()
    this.#abortSends.abort()
    this.#deadLetters.close()
    this.#teardown()
    // Hold no partitions that will never be processed; the committed offsets stay where they were.
    void this.#leave()
  }

  #leave(): Promise<void> {
    this.#leaving ??= (this.#subscription?.stop() ?? Promise.resolve()).catch((err) =>
      this.#log.warn({ err }, 'leaving the consumer group failed'),
    )
    return this.#leaving
  }

  #teardown(): void {
    this.#retries.stop()
    this.#batcher.stop()
    this.#breaker.stop()
    this.#gate.stop()
  }

  #drained(): Promise<void> {
    return Promise.all([this.#batcher.idle(), ...this.#pendingDeadLetters]).then(() => {})
  }
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms)
  })
  try {
    return await Promise.race([promise.then(() => true), timeout])
  } finally {
    clearTimeout(timer)
  }
}
