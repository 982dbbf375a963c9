import type { Logger } from 'pino'
import type { OutgoingRecord } from '../bus/bus.ts'
import type { CoalescingAppender } from '../bus/coalescing-appender.ts'
import type { TopicsConfig } from '../config/types.ts'
import type { EventValidator, ValidationIssue } from '../dictionary/event-validator.ts'
import { codes, withIssues } from '../errors.ts'
import type { PlayerEvent } from '../event.ts'
import { traceReceived } from '../trace/ingest-trace.ts'
import type { Tracer } from '../trace/tracer.ts'
import type { EventDedupe } from './dedupe.ts'
import { enrich, type RequestFacts } from './enrich.ts'
import { ingestMetrics } from './metrics.ts'

export interface Rejection {
  index: number
  errors: ValidationIssue[]
}

/** The 202 answer; a batch refused as a whole throws its catalogue error instead. */
export interface Accepted {
  accepted: number
  duplicates: number
  rejected: Rejection[]
}

export interface AcceptDeps {
  validator: EventValidator
  dedupe: EventDedupe
  appender: CoalescingAppender
  topics: TopicsConfig
  produceTimeoutMs: number
  maxEvents: number
  log: Logger
  /** Adds the `received` stage of sampled events, once the bus has them. */
  tracer?: Tracer
}

class ProduceTimeout extends Error {}

/**
 * Validates a batch event by event, drops repeats, and writes the valid events and the rejected ones to
 * their topics. It reports events as accepted only once the bus has acknowledged them.
 */
export async function acceptEvents(body: unknown, facts: RequestFacts, deps: AcceptDeps): Promise<Accepted> {
  const envelopeIssues = deps.validator.validateEnvelope(body)
  if (envelopeIssues.length > 0) throw withIssues(new codes.FW_ERR_INGEST_INVALID_ENVELOPE(), envelopeIssues)
  const { events } = body as { events: unknown[] }
  if (events.length > deps.maxEvents) {
    throw new codes.FW_ERR_INGEST_TOO_MANY_EVENTS(events.length, deps.maxEvents)
  }

  const rejected: Rejection[] = []
  const valid: PlayerEvent[] = []
  const seen = new Set<string>()
  let duplicates = 0
  events.forEach((event, index) => {
    const issues = deps.validator.validateEvent(event)
    if (issues.length > 0) {
      rejected.push({ index, errors: issues.map((i) => ({ ...i, pointer: `/events/${index}${i.pointer}` })) })
      return
    }
    const e = event as PlayerEvent
    if (seen.has(e.event_id)) duplicates++
    else {
      seen.add(e.event_id)
      valid.push(e)
    }
  })

  const claims = await deps.dedupe.claim(
    facts.source,
    valid.map((e) => e.event_id),
  )
  const toWrite = valid.filter((_, i) => claims[i] === 'claimed' || claims[i] === 'unchecked')
  const claimed = valid.filter((_, i) => claims[i] === 'claimed').map((e) => e.event_id)
  const inFlight = claims.filter((c) => c === 'in_flight').length
  duplicates += claims.filter((c) => c === 'duplicate').length

  const records: OutgoingRecord[] = toWrite.map((e) => {
    const enriched = enrich(e, facts)
    return {
      topic: deps.topics.events,
      key: `${facts.source}:${e.view_id}`,
      // No record headers: everything is in the value, and kafkajs encodes headers at a cost per record
      // that showed in the ingest benchmark (bench/README.md).
      value: Buffer.from(JSON.stringify(enriched)),
    }
  })
  for (const r of rejected) {
    records.push({
      topic: deps.topics.invalid,
      key: facts.source,
      value: Buffer.from(
        JSON.stringify({
          source: facts.source,
          received_at: facts.receivedAt,
          ingest_node: facts.node,
          client_ip: facts.ip,
          user_agent: facts.userAgent,
          index: r.index,
          errors: r.errors,
          raw: events[r.index],
        }),
      ),
    })
  }

  const written = deps.appender.append(records)
  // Whatever the request's fate, the claims follow the append's real outcome, even one that ends late.
  const settled = written.then(
    () => deps.dedupe.markDone(facts.source, claimed),
    () => deps.dedupe.release(facts.source, claimed),
  )
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      written,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new ProduceTimeout()), deps.produceTimeoutMs)
      }),
    ])
  } catch (err) {
    const cause = err instanceof ProduceTimeout ? 'timeout' : 'error'
    ingestMetrics.unavailable.inc({ cause })
    deps.log.warn({ err, cause, records: records.length }, 'events not acknowledged by the bus')
    throw cause === 'timeout'
      ? new codes.FW_ERR_INGEST_BUS_TIMEOUT(deps.produceTimeoutMs)
      : new codes.FW_ERR_INGEST_BUS_UNAVAILABLE()
  } finally {
    clearTimeout(timer)
  }
  await settled
  traceReceived(deps.tracer, toWrite, facts)

  ingestMetrics.accepted.inc({ source: facts.source }, toWrite.length)
  if (duplicates > 0) ingestMetrics.duplicates.inc({ source: facts.source }, duplicates)
  for (const r of rejected) {
    const reason = r.errors.some((e) => e.pointer === `/events/${r.index}/type`)
      ? 'unknown_type'
      : 'invalid_field'
    ingestMetrics.rejected.inc({ source: facts.source, reason })
  }
  if (inFlight > 0) {
    ingestMetrics.unavailable.inc({ cause: 'in_flight' })
    // Another request is still writing some of these ids: a retry will find them done or released.
    throw new codes.FW_ERR_INGEST_IN_FLIGHT(inFlight)
  }
  return { accepted: toWrite.length, duplicates, rejected }
}
