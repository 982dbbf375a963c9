/** JSON Schema of the YAML config. ajv applies the defaults, so the loaded config is complete. */

import { SEGMENTS } from '../dictionary/schema-files.ts'

const positiveInt = { type: 'integer', minimum: 1 } as const

/** A dotted path into an event (`content.stream_type`); src/pipeline checks it against the dictionary. */
const fieldPath = {
  type: 'string',
  pattern: '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$',
  description: 'Dotted path of an event field, e.g. content.stream_type or user.consent.analytics.',
} as const
const eventTypeList = (description: string) =>
  ({
    type: 'array',
    items: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      description: 'An event type of the data dictionary.',
    },
    description,
  }) as const
const scalar = (description: string) =>
  ({ type: ['string', 'number', 'boolean', 'null'], description }) as const
const ordered = (description: string) => ({ type: ['number', 'string'], description }) as const
const fromTo = (description: string) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['from', 'to'],
    description,
    properties: {
      from: { ...fieldPath, description: 'Path of the value to read.' },
      to: { ...fieldPath, description: 'Path to write it to (objects on the way are created).' },
    },
  }) as const

/**
 * A filter condition, recursive through $defs. `filter` and `when` repeat its top level inline, so the
 * loader's "unknown key" hints name the right keys for typos there.
 */
const condition = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  description:
    'A filter condition: {and: [...]}, {or: [...]}, {not: {...}}, or {field: <path>, <operator>: <value>} ' +
    'with exactly one operator among eq, ne, gt, gte, lt, lte, in, exists, regex (docs/pipelines.md).',
  properties: {
    and: {
      type: 'array',
      minItems: 1,
      items: { $ref: '#/$defs/condition' },
      description: 'True when every condition of the list is.',
    },
    or: {
      type: 'array',
      minItems: 1,
      items: { $ref: '#/$defs/condition' },
      description: 'True when at least one condition of the list is.',
    },
    not: { $ref: '#/$defs/condition', description: 'True when the condition is false.' },
    field: { ...fieldPath, description: 'Path of the event field the operator tests.' },
    eq: scalar('Equal to this value (strict: 25 and "25" differ).'),
    ne: scalar('Not equal to this value (true when the field is missing).'),
    gt: ordered('Greater than: a number with a number, a string with a string.'),
    gte: ordered('Greater than or equal.'),
    lt: ordered('Less than.'),
    lte: ordered('Less than or equal.'),
    in: {
      type: 'array',
      minItems: 1,
      items: { type: ['string', 'number', 'boolean', 'null'], description: 'A value.' },
      description: 'Equal to one of these values.',
    },
    exists: {
      type: 'boolean',
      description: 'true: the field is present and not null; false: missing or null.',
    },
    regex: {
      type: 'string',
      minLength: 1,
      description: 'JavaScript regular expression tested on string values (checked when the config loads).',
    },
    ignore_case: { type: 'boolean', description: 'With regex: match case-insensitively.' },
  },
} as const

export const configSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://framewire.dev/schemas/v1/config.json',
  title: 'Framewire config',
  type: 'object',
  additionalProperties: false,
  required: ['sources'],
  $defs: { condition },
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
        shutdown_delay_ms: {
          type: 'integer',
          minimum: 0,
          default: 5000,
          description:
            'On SIGTERM, /readyz answers 503 for this long before the server stops accepting connections, so a load balancer can drain it.',
        },
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
    bus: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'The durable log between ingest and workers: embedded (SQLite, one process) or kafka.',
      properties: {
        type: {
          enum: ['embedded', 'kafka'],
          default: 'embedded',
          description: 'embedded needs nothing but Node.js; kafka is for several processes and machines.',
        },
        path: {
          type: 'string',
          minLength: 1,
          default: 'framewire-data/bus.db',
          description: 'Embedded: the SQLite file (relative to the working directory).',
        },
        partitions: {
          ...positiveInt,
          default: 3,
          description: 'Embedded: partitions per topic (parallel, ordered lanes per connector).',
        },
        retention_hours: {
          type: 'number',
          exclusiveMinimum: 0,
          default: 168,
          description: 'Embedded: records older than this are deleted, delivered or not.',
        },
        retention_bytes: {
          ...positiveInt,
          default: 1_073_741_824,
          description: 'Embedded: past this file size the oldest records are deleted, delivered or not.',
        },
      },
    },
    console: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'The live event console at /console on the ingest port.',
      properties: {
        enabled: {
          type: 'boolean',
          default: false,
          description: 'Serve /console (framewire dev always does).',
        },
        token: {
          type: 'string',
          default: '',
          description: 'Admin token for /console; empty: a random one, printed at start.',
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
          default: 3,
          description:
            'Replication factor of those topics; at most the number of brokers (checked at start-up).',
        },
        min_insync_replicas: {
          ...positiveInt,
          default: 2,
          description:
            'min.insync.replicas of those topics: an acks=all write needs this many replicas; at most replication_factor.',
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
      description:
        'Redis, for event_id dedupe and shared caps. An empty url keeps both in this process instead.',
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
        local_dedupe_max_ids: {
          ...positiveInt,
          default: 1_000_000,
          description:
            'Without Redis: event_ids remembered in memory (about 150 bytes each); oldest go first.',
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
          essential: {
            type: 'boolean',
            default: false,
            description:
              'Receives events without analytics consent too (user.consent.analytics not true), e.g. ' +
              'for playback monitoring the service needs. Other connectors only get consented events.',
          },
          missing_consent: {
            enum: ['allow', 'deny'],
            default: 'allow',
            description:
              'Events that carry no user.consent at all: allow (SDKs that do not report consent) or deny ' +
              '(strict opt-in). Ignored when essential.',
          },
          sources: {
            type: 'array',
            items: { type: 'string', description: 'A source name from the top-level sources.' },
            description: 'Sources whose events this connector receives (default: all).',
          },
          event_types: eventTypeList('Event types this connector receives (default: all).'),
          exclude_types: eventTypeList('Event types this connector never receives.'),
          filter: {
            ...condition,
            description: 'Only events matching this condition are sent (docs/pipelines.md).',
          },
          sampling: {
            type: 'object',
            additionalProperties: false,
            description:
              'Sampling by view: each view is all in or all out, by a hash of view_id; lower rates keep ' +
              'a subset of the views higher rates keep.',
            properties: {
              rate: {
                type: 'number',
                minimum: 0,
                maximum: 1,
                default: 1,
                description: 'Share of views kept, 0 to 1.',
              },
              by_type: {
                type: 'object',
                propertyNames: { pattern: '^[A-Za-z0-9_.:-]+$' },
                additionalProperties: {
                  type: 'number',
                  minimum: 0,
                  maximum: 1,
                  description: 'Share of views kept for this event type.',
                },
                description: 'Rates per event type, overriding rate, e.g. { heartbeat: 0.01 }.',
              },
              seed: {
                type: 'string',
                default: '',
                description:
                  'Mixed into the view hash. Connectors with the same seed keep the same views (joinable); ' +
                  'a different seed samples independent views.',
              },
            },
          },
          segments: {
            type: 'array',
            minItems: 1,
            uniqueItems: true,
            items: { enum: [...SEGMENTS], description: 'A segment of the data dictionary.' },
            description:
              'Data segments sent (default: all). [qos] sends QoS event types with the common fields and ' +
              'the qos context groups only: no user, content, page or custom data.',
          },
          privacy: {
            type: 'object',
            additionalProperties: false,
            default: {},
            description: 'Personal data handling for this connector.',
            properties: {
              ip: {
                enum: ['anonymize', 'drop', 'keep'],
                default: 'anonymize',
                description:
                  'client_ip: keep its /24 (IPv4) or /48 (IPv6) network, remove it, or keep it whole.',
              },
              user_ids: {
                enum: ['keep', 'hash', 'drop'],
                default: 'keep',
                description:
                  'user.id and user.anonymous_id: send as they are, as HMAC-SHA256 with user_id_salt, or not at all.',
              },
              user_id_salt: {
                type: 'string',
                description: 'Secret key of the user id hash, 16+ characters; read it from the environment.',
              },
              allow_fields: {
                type: 'array',
                items: fieldPath,
                description: 'When set, only these field paths (and the event identity fields) are sent.',
              },
              deny_fields: {
                type: 'array',
                items: fieldPath,
                description: 'Field paths never sent.',
              },
            },
          },
          mapping: {
            type: 'array',
            description: 'Field mapping rules, applied in order before the connector transform.',
            items: {
              type: 'object',
              additionalProperties: false,
              minProperties: 1,
              maxProperties: 2,
              description:
                'One action (rename, copy, drop, set, template, rename_type) and an optional when.',
              properties: {
                rename: fromTo('Moves a value to another path.'),
                copy: fromTo('Copies a value to another path.'),
                drop: { type: 'array', minItems: 1, items: fieldPath, description: 'Removes these paths.' },
                set: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['field', 'value'],
                  description: 'Sets a constant.',
                  properties: {
                    field: { ...fieldPath, description: 'Path to write.' },
                    value: { description: 'Any value.' },
                  },
                },
                template: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['field', 'template'],
                  description: 'Writes a string built from fields.',
                  properties: {
                    field: { ...fieldPath, description: 'Path to write.' },
                    template: {
                      type: 'string',
                      description: 'Text with {field.path} placeholders; {{ and }} are literal braces.',
                    },
                  },
                },
                rename_type: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['to'],
                  description: 'Changes the event type, e.g. milestone at 25 % → "First Quartile".',
                  properties: {
                    from: { type: 'string', minLength: 1, description: 'Only events of this type.' },
                    to: { type: 'string', minLength: 1, maxLength: 128, description: 'The new type.' },
                  },
                },
                when: { ...condition, description: 'Applies the rule only to matching events.' },
              },
            },
          },
          cap: {
            type: 'object',
            additionalProperties: false,
            description:
              'A volume cap shared by every worker process through Redis (in-process when redis.url is empty).',
            properties: {
              events_per_second: {
                type: 'number',
                exclusiveMinimum: 0,
                description: 'Events per second, as a token bucket.',
              },
              burst: {
                ...positiveInt,
                description: 'Bucket size (default: one second of events_per_second).',
              },
              daily_budget: { ...positiveInt, description: 'Events per UTC day.' },
              action: {
                enum: ['delay', 'sample', 'drop'],
                default: 'delay',
                description:
                  'At the cap: delay (wait for tokens, nothing lost), sample (keep whole views, a ' +
                  'deterministic fraction), drop (counted).',
              },
            },
          },
        },
      },
    },
  },
} as const
