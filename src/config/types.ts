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

export interface ConnectorConfig {
  name: string
  type: string
  settings: Record<string, unknown>
  batching: BatchingConfig
  retry: RetryConfig
  circuit_breaker: CircuitBreakerConfig
  /** Upper bound of records buffered in the worker for this connector (backpressure). */
  max_buffered_records: number
}

export interface KafkaConfig {
  brokers: string[]
  client_id: string
  /** Consumer groups are `<prefix>connector.<name>` and `<prefix>dlq-replay.<name>`. */
  group_prefix: string
  partitions: number
  replication_factor: number
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
  /** Empty disables dedupe. */
  url: string
  dedupe_ttl_seconds: number
  /** How long a "pending" mark lives if the process dies between mark and ack. */
  pending_ttl_seconds: number
}

export interface IngestConfig {
  host: string
  port: number
  /** Applies to the decompressed body. */
  body_limit_bytes: number
  /** Events per request. */
  max_events: number
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
  kafka: KafkaConfig
  topics: TopicsConfig
  produce: ProduceConfig
  redis: RedisConfig
  sources: SourceConfig[]
  connectors: ConnectorConfig[]
}
