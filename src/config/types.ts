/** The parsed, validated and defaulted YAML config. Keys mirror the YAML (snake_case). */

export interface SourceConfig {
  name: string
  write_key: string
  /** Exact origins (scheme://host[:port]) or "*" for any; requests without an Origin header are allowed. */
  allowed_origins: string[]
}

export interface BatchingConfig {
  /** Caps below the vendor's limits; the runtime uses the smaller of the two. */
  max_items?: number
  max_bytes?: number
  linger_ms: number
  max_in_flight: number
}

export interface RetryConfig {
  max_attempts: number
  /** Total time a record may spend retrying before it is dead-lettered. */
  max_elapsed_ms: number
  initial_backoff_ms: number
  max_backoff_ms: number
  request_timeout_ms: number
}

export interface CircuitBreakerConfig {
  /** Consecutive failed batches that open the breaker. */
  failure_threshold: number
  /** How long the breaker stays open before a probe. */
  open_ms: number
}

/** A value a filter compares with. */
export type FilterScalar = string | number | boolean | null

/**
 * A filter condition (docs/pipelines.md): exactly one of `and`, `or`, `not`, or `field` with one operator.
 * The schema describes the keys; src/pipeline/filter.ts checks the combinations when the config loads.
 */
export interface FilterCondition {
  and?: FilterCondition[]
  or?: FilterCondition[]
  not?: FilterCondition
  /** Dotted path into the event, e.g. `content.stream_type`. */
  field?: string
  eq?: FilterScalar
  ne?: FilterScalar
  gt?: number | string
  gte?: number | string
  lt?: number | string
  lte?: number | string
  in?: FilterScalar[]
  exists?: boolean
  regex?: string
  /** With `regex` only. */
  ignore_case?: boolean
}

export interface SamplingConfig {
  /** Share of views kept, 0..1 (default 1). */
  rate?: number
  /** Rates per event type, overriding `rate`; the same view hash, so samples nest. */
  by_type?: Record<string, number>
  /** Mixed into the view hash: connectors with different seeds sample independent views (default ""). */
  seed?: string
}

export type PipelineSegment = 'qos' | 'business'

export interface PrivacyConfig {
  /** client_ip: /24 or /48 network (default), removed, or unchanged. */
  ip?: 'anonymize' | 'drop' | 'keep'
  /** user.id and user.anonymous_id: unchanged (default), HMAC-SHA256 with user_id_salt, or removed. */
  user_ids?: 'keep' | 'hash' | 'drop'
  user_id_salt?: string
  /** Only these paths (and the identity fields) are kept. */
  allow_fields?: string[]
  deny_fields?: string[]
}

/** One mapping rule: exactly one action, optionally guarded by `when`. */
export interface MappingRule {
  rename?: { from: string; to: string }
  copy?: { from: string; to: string }
  drop?: string[]
  set?: { field: string; value: unknown }
  template?: { field: string; template: string }
  rename_type?: { from?: string; to: string }
  when?: FilterCondition
}

export type CapAction = 'delay' | 'sample' | 'drop'

export interface CapConfig {
  /** Events per second across every worker process (shared through Redis). */
  events_per_second?: number
  /** Most events at once after a quiet period (default: one second of events_per_second). */
  burst?: number
  /** Events per UTC day. */
  daily_budget?: number
  /** At the cap: wait (default), keep a fraction of views, or drop. */
  action?: CapAction
}

export interface ConnectorConfig {
  name: string
  type: string
  settings: Record<string, unknown>
  batching: BatchingConfig
  retry: RetryConfig
  circuit_breaker: CircuitBreakerConfig
  /** Upper bound of records buffered in the worker for this connector (backpressure). */
  max_buffered_records: number
  // The pipeline keys (docs/pipelines.md). Optional so configs built in code need none of them; the
  // loader fills the defaults the schema declares, and src/pipeline applies the same ones when absent.
  /** Receives events without analytics consent too (default false). */
  essential?: boolean
  /** Events that carry no `user.consent`: `allow` (default) or `deny` for non-essential connectors. */
  missing_consent?: 'allow' | 'deny'
  /** Source names feeding this connector (default: all). */
  sources?: string[]
  /** Event types sent (default: all). */
  event_types?: string[]
  /** Event types never sent. */
  exclude_types?: string[]
  filter?: FilterCondition
  sampling?: SamplingConfig
  /** Data segments sent (default: all). */
  segments?: PipelineSegment[]
  privacy?: PrivacyConfig
  mapping?: MappingRule[]
  cap?: CapConfig
}

export interface KafkaConfig {
  brokers: string[]
  client_id: string
  /** Consumer groups are `<prefix>connector.<name>` and `<prefix>dlq-replay.<name>`. */
  group_prefix: string
  partitions: number
  replication_factor: number
  min_insync_replicas: number
}

export interface BusConfig {
  type: 'embedded' | 'kafka'
  /** Embedded: the SQLite file. */
  path: string
  /** Embedded: partitions per topic. */
  partitions: number
  retention_hours: number
  retention_bytes: number
}

export interface ConsoleConfig {
  enabled: boolean
  /** Empty: a random token is made and printed at start. */
  token: string
}

export interface TopicsConfig {
  events: string
  invalid: string
  /** Prefix of the per-connector dead-letter topics: `<prefix><connector name>`. */
  dlq_prefix: string
}

export interface ProduceConfig {
  /** How long concurrent requests' records wait to share one produce request. */
  linger_ms: number
  max_batch_records: number
  /** A produce slower than this answers 503 with Retry-After. */
  timeout_ms: number
}

export interface RedisConfig {
  /** Empty: dedupe and caps in this process only. */
  url: string
  dedupe_ttl_seconds: number
  /** How long a "pending" mark lives if the process dies between mark and ack. */
  pending_ttl_seconds: number
  /** Without Redis: how many event_ids the in-process dedupe remembers. */
  local_dedupe_max_ids: number
}

export interface IngestConfig {
  host: string
  port: number
  /** Applies to the decompressed body. */
  body_limit_bytes: number
  /** Events per request. */
  max_events: number
  /** How long /readyz answers 503 on SIGTERM before the server stops accepting connections. */
  shutdown_delay_ms: number
  /** Trust X-Forwarded-For from these proxies (Fastify trustProxy). */
  trust_proxy: boolean | string
  under_pressure: {
    max_event_loop_delay_ms: number
    max_heap_used_bytes: number
    retry_after_seconds: number
  }
}

export interface WorkerProcessConfig {
  ops_host: string
  ops_port: number
}

export interface FramewireConfig {
  node_id: string
  ingest: IngestConfig
  worker: WorkerProcessConfig
  bus: BusConfig
  kafka: KafkaConfig
  console: ConsoleConfig
  topics: TopicsConfig
  produce: ProduceConfig
  redis: RedisConfig
  sources: SourceConfig[]
  connectors: ConnectorConfig[]
}
