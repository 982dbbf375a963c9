import type { Logger } from 'pino'
import { closest } from '../config/did-you-mean.ts'
import type { CapConfig, ConnectorConfig } from '../config/types.ts'
import { SEGMENTS, type Segment } from '../dictionary/schema-files.ts'
import type { EnrichedEvent } from '../event.ts'
import { CapGate, type CapMetrics } from './cap-gate.ts'
import { type Dictionary, dictionary, unknownEventType, unknownField } from './dictionary.ts'
import { compileMapping } from './field-mapping.ts'
import { compileFilter, type FieldCheck, type PipelineProblem, type ProblemSink } from './filter.ts'
import { isPlainObject } from './paths.ts'
import { compilePrivacy } from './privacy.ts'
import { burstOf, MemoryTokenSource, type TokenBucketOptions, type TokenSource } from './rate-cap.ts'
import { compileSampling } from './sampling.ts'
import { compileSegments } from './segments.ts'
import type { StageName } from './stages.ts'

export type { PipelineProblem } from './filter.ts'
export type { StageName } from './stages.ts'

/**
 * Compiles a connector's pipeline keys (sources, event_types, exclude_types, essential, missing_consent,
 * filter, sampling, segments, privacy, mapping, cap) once, into closures run for every event:
 *
 *   routing → consent → filter → sampling → segments → privacy → mapping → cap → connector transform
 *
 * The cheap, dropping stages come first; segments and privacy come before mapping so a mapping rule only
 * ever sees data the connector is allowed to receive (a `copy` of user.id, or a `rename` of client_ip,
 * cannot smuggle the raw value past them); the cap comes last so it counts only events that will be sent.
 */

export interface CompiledPipeline {
  /** The stages this connector runs, in order (only those its config activates). */
  readonly stages: readonly StageName[]
  /**
   * Runs every stage but the cap. Returns the event to send, or null when a stage dropped it, naming that
   * stage to `onDrop`. The input is never mutated, unless `owned` says the caller hands it over (the worker
   * does, with the event it just decoded): then its top-level object may be changed in place rather than
   * copied. Nested objects are always copied before a change.
   */
  run(event: EnrichedEvent, onDrop?: (stage: StageName) => void, owned?: boolean): EnrichedEvent | null
  /** The cap, when configured: `await cap.admit(event)` on what `run` returned. */
  readonly cap: CapGate | undefined
}

export interface CompileOptions {
  /** Builds a cap's token store; defaults to the in-process MemoryTokenSource. */
  tokenSource?(options: TokenBucketOptions): TokenSource
  metrics?: CapMetrics
  log?: Logger
  /** Defaults to the dictionary of collectors-schema/. */
  dictionary?: Dictionary
  /** Names of the configured sources, to check the connector's `sources:` list. */
  sourceNames?: readonly string[]
}

/** A pipeline the config describes wrongly; `problems` carry paths from the connector entry. */
export class PipelineConfigError extends Error {
  readonly problems: PipelineProblem[]
  constructor(problems: PipelineProblem[]) {
    super(problems.map((p) => `/${p.path.join('/')}: ${p.message}`).join('\n'))
    this.problems = problems
    this.name = 'PipelineConfigError'
  }
}

interface Stage {
  name: StageName
  /** Null drops the event. `owned`: the top-level object may be changed in place. */
  apply(event: EnrichedEvent, owned: boolean): EnrichedEvent | null
}

interface Built {
  stages: Stage[]
  cap: { options: TokenBucketOptions; config: CapConfig } | undefined
  problems: PipelineProblem[]
}

const keep = (test: (event: EnrichedEvent) => boolean) => (event: EnrichedEvent) =>
  test(event) ? event : null

/** Largest token chunk per round trip: at most 100, a tenth of a second of the rate, within the burst. */
export function maxChunkOf(options: TokenBucketOptions): number {
  if (options.ratePerSecond === undefined) return 100
  return Math.max(1, Math.min(100, Math.ceil(options.ratePerSecond / 10), burstOf(options)))
}

function build(config: ConnectorConfig, at: (string | number)[], options: CompileOptions): Built {
  const dict = options.dictionary ?? dictionary()
  const problems: PipelineProblem[] = []
  const report: ProblemSink = (path, message) => problems.push({ path, message })
  const check: FieldCheck = (path) => unknownField(dict, path)
  const stages: Stage[] = []
  const add = (
    name: StageName,
    apply: ((event: EnrichedEvent, owned: boolean) => EnrichedEvent | null) | undefined,
  ) => {
    if (apply) stages.push({ name, apply })
  }
  const checkTypes = (list: string[] | undefined, key: string) =>
    list?.forEach((type, index) => {
      const unknown = unknownEventType(dict, type)
      if (unknown) report([...at, key, index], unknown)
    })

  // routing
  if (config.sources && options.sourceNames) {
    const names = options.sourceNames
    config.sources.forEach((name, index) => {
      if (names.includes(name)) return
      const hint = closest(name, names)
      report(
        [...at, 'sources', index],
        `unknown source "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; sources: ${names.join(', ')}`,
      )
    })
  }
  checkTypes(config.event_types, 'event_types')
  checkTypes(config.exclude_types, 'exclude_types')
  const sources = config.sources ? new Set(config.sources) : undefined
  const included = config.event_types ? new Set(config.event_types) : undefined
  const excluded = config.exclude_types?.length ? new Set(config.exclude_types) : undefined
  if (sources || included || excluded) {
    add(
      'routing',
      keep(
        (e) =>
          (!sources || sources.has(e.source)) &&
          (!included || included.has(e.type)) &&
          !excluded?.has(e.type),
      ),
    )
  }

  // consent: analytics consent given, or (when the event carries none) allowed unless missing_consent: deny
  if (!config.essential) {
    const allowMissing = config.missing_consent === 'allow'
    add(
      'consent',
      keep((e) => {
        const consent = isPlainObject(e.user) ? e.user.consent : undefined
        return isPlainObject(consent) ? consent.analytics === true : allowMissing
      }),
    )
  }

  if (config.filter !== undefined) {
    add('filter', keep(compileFilter(config.filter, [...at, 'filter'], report, check)))
  }

  for (const type of Object.keys(config.sampling.by_type ?? {})) {
    const unknown = unknownEventType(dict, type)
    if (unknown) report([...at, 'sampling', 'by_type', type], unknown)
  }
  add('sampling', mapPredicate(compileSampling(config.sampling)))

  config.segments?.forEach((segment, index) => {
    if (!SEGMENTS.includes(segment)) {
      report([...at, 'segments', index], `unknown segment "${segment}"; segments: ${SEGMENTS.join(', ')}`)
    }
  })
  add('segments', compileSegments(config.segments as Segment[] | undefined, dict))
  add('privacy', compilePrivacy(config.privacy, [...at, 'privacy'], report, check))
  add('mapping', compileMapping(config.mapping, [...at, 'mapping'], report, dict, check))

  let cap: Built['cap']
  if (config.cap) {
    const { events_per_second: rate, burst, daily_budget: budget } = config.cap
    if (rate === undefined && budget === undefined) {
      report([...at, 'cap'], 'a cap needs events_per_second, daily_budget or both')
    }
    if (burst !== undefined && rate === undefined) {
      report([...at, 'cap', 'burst'], 'burst sizes the events_per_second bucket; set events_per_second too')
    }
    const bucket: TokenBucketOptions = {}
    if (rate !== undefined) bucket.ratePerSecond = rate
    if (burst !== undefined) bucket.burst = burst
    if (budget !== undefined) bucket.dailyBudget = budget
    cap = { options: bucket, config: config.cap }
  }
  return { stages, cap, problems }
}

function mapPredicate(
  test: ((event: unknown) => boolean) | undefined,
): ((event: EnrichedEvent) => EnrichedEvent | null) | undefined {
  return test ? keep(test) : undefined
}

/** Compiles a connector's pipeline; throws PipelineConfigError when the config is wrong. */
export function compilePipeline(config: ConnectorConfig, options: CompileOptions = {}): CompiledPipeline {
  const built = build(config, [], options)
  if (built.problems.length > 0) throw new PipelineConfigError(built.problems)
  const stages = built.stages
  let cap: CapGate | undefined
  if (built.cap) {
    const { options: bucket, config: capConfig } = built.cap
    const source = options.tokenSource?.(bucket) ?? new MemoryTokenSource(bucket)
    cap = new CapGate({
      source,
      action: capConfig.action,
      maxChunk: maxChunkOf(bucket),
      tokenTtlMs: bucket.ratePerSecond === undefined ? Number.POSITIVE_INFINITY : 1000,
      seed: config.sampling.seed,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...(options.log ? { log: options.log } : {}),
    })
  }
  return {
    stages: [...stages.map((stage) => stage.name), ...(cap ? ['cap' as const] : [])],
    cap,
    run(event, onDrop, owned = false) {
      let current = event
      let mine = owned
      for (const stage of stages) {
        const next = stage.apply(current, mine)
        if (next === null) {
          onDrop?.(stage.name)
          return null
        }
        // A stage that returned a new object made it for us: later stages may change it in place.
        mine ||= next !== current
        current = next
      }
      return current
    },
  }
}

/** Problems of one connector's pipeline keys; `at` prefixes the paths (e.g. ['connectors', 2]). */
export function checkConnectorPipeline(
  config: ConnectorConfig,
  at: (string | number)[] = [],
  sourceNames?: readonly string[],
): PipelineProblem[] {
  return build(config, at, sourceNames ? { sourceNames } : {}).problems
}

/**
 * Every pipeline problem of a validated (schema-checked, defaulted) config: bad regexes, unknown fields,
 * event types, sources or segments, protected fields touched by mapping or deny lists, a hash without salt.
 * Paths start at the config root: ['connectors', 0, 'filter', 'and', 1, 'regex'].
 */
export function checkPipeline(config: {
  connectors: ConnectorConfig[]
  sources?: readonly { name: string }[]
}): PipelineProblem[] {
  const sourceNames = config.sources?.map((source) => source.name)
  return config.connectors.flatMap((connector, index) =>
    checkConnectorPipeline(connector, ['connectors', index], sourceNames),
  )
}
