/** JSON Schema of the YAML config. ajv applies the defaults, so the loaded config is complete. */

const positiveInt = { type: 'integer', minimum: 1 } as const

export const configSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://framewire.dev/schemas/v1/config.json',
  title: 'Framewire config',
  type: 'object',
  additionalProperties: false,
  required: ['sources'],
  properties: {
    node_id: { type: 'string', minLength: 1, description: 'Name of this node in enriched events and logs.' },
    ingest: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'The HTTP ingest server.',
      properties: {
        host: { type: 'string', default: '0.0.0.0', description: 'Address to listen on.' },
        port: {
          type: 'integer',
          minimum: 0,
          maximum: 65535,
          default: 8080,
          description: 'Port to listen on.',
        },
        body_limit_bytes: {
          ...positiveInt,
          default: 1_048_576,
          description: 'Largest request body, measured after decompression (413 past it).',
        },
        max_events: { ...positiveInt, default: 500, description: 'Largest number of events in one request.' },
        trust_proxy: {
          type: ['boolean', 'string'],
          default: false,
          description: 'Trust X-Forwarded-For from proxies (true, or a list of addresses/CIDRs).',
        },
        under_pressure: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description: 'Load shedding: past these limits requests get 503 with Retry-After.',
          properties: {
            max_event_loop_delay_ms: {
              ...positiveInt,
              default: 1000,
              description: 'Event-loop delay limit.',
            },
            max_heap_used_bytes: { ...positiveInt, default: 1_500_000_000, description: 'Heap limit.' },
            retry_after_seconds: {
              ...positiveInt,
              default: 1,
              description: 'Retry-After sent when shedding.',
            },
          },
        },
      },
    },
    worker: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Worker-only processes (--role worker).',
      properties: {
        ops_host: {
          type: 'string',
          default: '0.0.0.0',
          description: 'Address of /healthz, /readyz, /metrics.',
        },
        ops_port: {
          type: 'integer',
          minimum: 0,
          maximum: 65535,
          default: 9464,
          description: 'Port of /healthz, /readyz and /metrics when no ingest runs in the process.',
        },
      },
    },
    kafka: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'The Kafka cluster. KAFKA_BROKERS, when set, overrides brokers.',
      properties: {
        brokers: {
          type: 'array',
          items: { type: 'string' },
          minItems: 1,
          default: ['127.0.0.1:9092'],
          description: 'Bootstrap brokers, host:port.',
        },
        client_id: { type: 'string', default: 'framewire', description: 'Kafka client id.' },
        group_prefix: {
          type: 'string',
          default: 'fw.',
          description:
            'Prefix of consumer group ids (connector.<name>, dlq-replay.<name>), to share a cluster.',
        },
        partitions: {
          ...positiveInt,
          default: 6,
          description: 'Partitions of the topics Framewire creates.',
        },
        replication_factor: {
          ...positiveInt,
          default: 1,
          description: 'Replication factor of those topics.',
        },
      },
    },
    topics: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Topic names.',
      properties: {
        events: { type: 'string', default: 'fw.events.v1', description: 'Accepted, enriched events.' },
        invalid: { type: 'string', default: 'fw.invalid.v1', description: 'Rejected events with reasons.' },
        dlq_prefix: {
          type: 'string',
          default: 'fw.dlq.',
          description: 'Prefix of per-connector dead letters.',
        },
      },
    },
    produce: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'How ingest writes to the bus.',
      properties: {
        linger_ms: {
          type: 'integer',
          minimum: 0,
          default: 5,
          description: 'How long records of concurrent requests wait to share a produce request.',
        },
        max_batch_records: {
          ...positiveInt,
          default: 1000,
          description: 'A shared batch this large is sent at once.',
        },
        timeout_ms: {
          ...positiveInt,
          default: 5000,
          description: 'A produce slower than this answers 503 with Retry-After.',
        },
      },
    },
    redis: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Redis, for event_id dedupe. An empty url disables dedupe.',
      properties: {
        url: { type: 'string', default: 'redis://127.0.0.1:6379', description: 'Redis URL.' },
        dedupe_ttl_seconds: {
          ...positiveInt,
          default: 86_400,
          description: 'How long an event_id is remembered.',
        },
        pending_ttl_seconds: {
          ...positiveInt,
          default: 60,
          description: 'How long an unacknowledged claim on an event_id lives if its node dies.',
        },
      },
    },
    sources: {
      type: 'array',
      minItems: 1,
      description: 'Who may send events: each source has its own write key.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'write_key'],
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$', description: 'Source name.' },
          write_key: {
            type: 'string',
            minLength: 8,
            description: 'Secret sent by players; read it from the environment with interpolation.',
          },
          allowed_origins: {
            type: 'array',
            items: { type: 'string' },
            default: ['*'],
            description: 'Browser origins allowed to send (scheme://host[:port]), or "*".',
          },
        },
      },
    },
    connectors: {
      type: 'array',
      default: [],
      description: 'Destinations: one worker group each.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'type'],
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$', description: 'Unique connector name.' },
          type: { type: 'string', description: 'Connector type, e.g. amplitude.' },
          settings: { type: 'object', default: {}, description: "The connector type's own settings." },
          max_buffered_records: {
            ...positiveInt,
            default: 10_000,
            description: 'Records held in the worker for this connector; past it, consumption waits.',
          },
          batching: {
            type: 'object',
            additionalProperties: false,
            default: {},
            description: 'Batching, within the vendor limits.',
            properties: {
              max_items: { ...positiveInt, description: 'Items per request (capped by the vendor limit).' },
              max_bytes: { ...positiveInt, description: 'Bytes per request (capped by the vendor limit).' },
              linger_ms: {
                type: 'integer',
                minimum: 0,
                maximum: 50,
                default: 20,
                description: 'Longest wait for a batch to fill.',
              },
              max_in_flight: { ...positiveInt, default: 4, description: 'Concurrent requests.' },
            },
          },
          retry: {
            type: 'object',
            additionalProperties: false,
            default: {},
            description: 'Retries before a record is dead-lettered.',
            properties: {
              max_attempts: { ...positiveInt, default: 100, description: 'Attempts per record.' },
              max_elapsed_ms: { ...positiveInt, default: 3_600_000, description: 'Retry window per record.' },
              initial_backoff_ms: { ...positiveInt, default: 100, description: 'First backoff ceiling.' },
              max_backoff_ms: { ...positiveInt, default: 30_000, description: 'Largest backoff ceiling.' },
              request_timeout_ms: { ...positiveInt, default: 10_000, description: 'One request’s deadline.' },
            },
          },
          circuit_breaker: {
            type: 'object',
            additionalProperties: false,
            default: {},
            description: 'Pauses consumption while the destination keeps failing.',
            properties: {
              failure_threshold: {
                ...positiveInt,
                default: 5,
                description: 'Failed batches in a row to open.',
              },
              open_ms: { ...positiveInt, default: 5000, description: 'Time open before a probe.' },
            },
          },
        },
      },
    },
  },
} as const
