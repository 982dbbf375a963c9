/**
 * The YAML config, declared once with TypeBox: the JSON Schema the loader validates with (ajv applies the
 * defaults, so the loaded config is complete) and, through Static<>, the TypeScript types (types.ts).
 */

import { type Static, type TRecursive, type TSchema, type TThis, Type } from '@sinclair/typebox'
import { SEGMENTS } from '../dictionary/schema-files.ts'
import { Batching, CircuitBreaker, PositiveInt, Retry, StringEnum } from './blocks.ts'
import { Default, type Input, withDefaults } from './defaults.ts'

/** A dotted path into an event (`content.stream_type`); src/pipeline checks it against the dictionary. */
const FieldPath = (description: string) =>
  Type.String({ pattern: '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$', description })
const fieldPathItems = FieldPath(
  'Dotted path of an event field, e.g. content.stream_type or user.consent.analytics.',
)
const EventTypeList = (description: string) =>
  Type.Array(
    Type.String({ minLength: 1, maxLength: 64, description: 'An event type of the data dictionary.' }),
    {
      description,
    },
  )
const SCALAR_TYPES = ['string', 'number', 'boolean', 'null']
const Scalar = (description: string) =>
  Type.Unsafe<string | number | boolean | null>({ type: SCALAR_TYPES, description })
const Ordered = (description: string) =>
  Type.Unsafe<number | string>({ type: ['number', 'string'], description })
const FromTo = (description: string) =>
  Type.Object(
    {
      from: FieldPath('Path of the value to read.'),
      to: FieldPath('Path to write it to (objects on the way are created).'),
    },
    { additionalProperties: false, description },
  )
const Port = (description: string, port: number) =>
  Default(Type.Integer({ minimum: 0, maximum: 65535, description }), port)
const Name = (description: string) => Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', description })

const CONDITION_DESCRIPTION =
  'A filter condition: {and: [...]}, {or: [...]}, {not: {...}}, or {field: <path>, <operator>: <value>} ' +
  'with exactly one operator among eq, ne, gt, gte, lt, lte, in, exists, regex (docs/pipelines.md).'

/** The keys of a filter condition; `self` is how a nested condition is written. */
function conditionObject<Self extends TSchema>(self: Self, description: string) {
  return Type.Object(
    {
      and: Type.Optional(
        Type.Array(self, { minItems: 1, description: 'True when every condition of the list is.' }),
      ),
      or: Type.Optional(
        Type.Array(self, { minItems: 1, description: 'True when at least one condition of the list is.' }),
      ),
      not: Type.Optional({ ...self, description: 'True when the condition is false.' }),
      field: Type.Optional(FieldPath('Path of the event field the operator tests.')),
      eq: Type.Optional(Scalar('Equal to this value (strict: 25 and "25" differ).')),
      ne: Type.Optional(Scalar('Not equal to this value (true when the field is missing).')),
      gt: Type.Optional(Ordered('Greater than: a number with a number, a string with a string.')),
      gte: Type.Optional(Ordered('Greater than or equal.')),
      lt: Type.Optional(Ordered('Less than.')),
      lte: Type.Optional(Ordered('Less than or equal.')),
      in: Type.Optional(
        Type.Array(Scalar('A value.'), { minItems: 1, description: 'Equal to one of these values.' }),
      ),
      exists: Type.Optional(
        Type.Boolean({ description: 'true: the field is present and not null; false: missing or null.' }),
      ),
      regex: Type.Optional(
        Type.String({
          minLength: 1,
          description:
            'JavaScript regular expression tested on string values (checked when the config loads).',
        }),
      ),
      ignore_case: Type.Optional(Type.Boolean({ description: 'With regex: match case-insensitively.' })),
    },
    { additionalProperties: false, minProperties: 1, description },
  )
}

/**
 * A filter condition (docs/pipelines.md): exactly one of `and`, `or`, `not`, or `field` with one operator.
 * The schema describes the keys; src/pipeline/filter.ts checks the combinations when the config loads.
 */
export type FilterCondition = Static<TRecursive<ReturnType<typeof conditionObject<TThis>>>>

/**
 * Nested conditions refer to $defs/condition; `filter` and `when` repeat its top level inline, so the
 * loader's "unknown key" hints name the right keys for typos there.
 */
const conditionRef = Type.Unsafe<FilterCondition>({ $ref: '#/$defs/condition' })
const Condition = (description: string) => conditionObject(conditionRef, description)

export const Privacy = Type.Object(
  {
    ip: Default(
      StringEnum(
        ['anonymize', 'drop', 'keep'],
        'client_ip: keep its /24 (IPv4) or /48 (IPv6) network, remove it, or keep it whole.',
      ),
      'anonymize',
    ),
    user_ids: Default(
      StringEnum(
        ['keep', 'hash', 'drop'],
        'user.id and user.anonymous_id: send as they are, as HMAC-SHA256 with user_id_salt, or not at all.',
      ),
      'keep',
    ),
    user_id_salt: Type.Optional(
      Type.String({
        writeOnly: true,
        description: 'Secret key of the user id hash, 16+ characters; read it from the environment.',
      }),
    ),
    allow_fields: Type.Optional(
      Type.Array(fieldPathItems, {
        description: 'When set, only these field paths (and the event identity fields) are sent.',
      }),
    ),
    deny_fields: Type.Optional(Type.Array(fieldPathItems, { description: 'Field paths never sent.' })),
  },
  { additionalProperties: false, description: 'Personal data handling for this connector.' },
)

export const Sampling = Type.Object(
  {
    rate: Default(Type.Number({ minimum: 0, maximum: 1, description: 'Share of views kept, 0 to 1.' }), 1),
    by_type: Type.Optional(
      Type.Unsafe<Record<string, number>>({
        type: 'object',
        propertyNames: { pattern: '^[A-Za-z0-9_.:-]+$' },
        additionalProperties: {
          type: 'number',
          minimum: 0,
          maximum: 1,
          description: 'Share of views kept for this event type.',
        },
        description: 'Rates per event type, overriding rate, e.g. { heartbeat: 0.01 }.',
      }),
    ),
    seed: Default(
      Type.String({
        description:
          'Mixed into the view hash. Connectors with the same seed keep the same views (joinable); ' +
          'a different seed samples independent views.',
      }),
      '',
    ),
  },
  {
    additionalProperties: false,
    description:
      'Sampling by view: each view is all in or all out, by a hash of view_id; lower rates keep ' +
      'a subset of the views higher rates keep.',
  },
)

const MappingRule = Type.Object(
  {
    rename: Type.Optional(FromTo('Moves a value to another path.')),
    copy: Type.Optional(FromTo('Copies a value to another path.')),
    drop: Type.Optional(Type.Array(fieldPathItems, { minItems: 1, description: 'Removes these paths.' })),
    set: Type.Optional(
      Type.Object(
        { field: FieldPath('Path to write.'), value: Type.Unknown({ description: 'Any value.' }) },
        { additionalProperties: false, description: 'Sets a constant.' },
      ),
    ),
    template: Type.Optional(
      Type.Object(
        {
          field: FieldPath('Path to write.'),
          template: Type.String({
            description: 'Text with {field.path} placeholders; {{ and }} are literal braces.',
          }),
        },
        { additionalProperties: false, description: 'Writes a string built from fields.' },
      ),
    ),
    rename_type: Type.Optional(
      Type.Object(
        {
          from: Type.Optional(Type.String({ minLength: 1, description: 'Only events of this type.' })),
          to: Type.String({ minLength: 1, maxLength: 128, description: 'The new type.' }),
        },
        {
          additionalProperties: false,
          description: 'Changes the event type, e.g. milestone at 25 % → "First Quartile".',
        },
      ),
    ),
    when: Type.Optional(Condition('Applies the rule only to matching events.')),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 2,
    description: 'One action (rename, copy, drop, set, template, rename_type) and an optional when.',
  },
)

export const CAP_ACTIONS = ['delay', 'sample', 'drop'] as const

const Cap = Type.Object(
  {
    events_per_second: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, description: 'Events per second, as a token bucket.' }),
    ),
    burst: Type.Optional(PositiveInt('Bucket size (default: one second of events_per_second).')),
    daily_budget: Type.Optional(PositiveInt('Events per UTC day.')),
    action: Default(
      StringEnum(
        CAP_ACTIONS,
        'At the cap: delay (wait for tokens, nothing lost), sample (keep whole views, a ' +
          'deterministic fraction), drop (counted).',
      ),
      'delay',
    ),
  },
  {
    additionalProperties: false,
    description:
      'A volume cap shared by every worker process through Redis (in-process when redis.url is empty).',
  },
)

export const Connector = Type.Object(
  {
    name: Name('Unique connector name.'),
    type: Type.String({ description: 'Connector type, e.g. amplitude.' }),
    settings: Default(
      Type.Unsafe<Record<string, unknown>>({
        type: 'object',
        description: "The connector type's own settings (see its README).",
      }),
      {},
    ),
    max_buffered_records: Default(
      PositiveInt('Records held in the worker for this connector; past it, consumption waits.'),
      10_000,
    ),
    batching: Default(Batching, {}),
    retry: Default(Retry, {}),
    circuit_breaker: Default(CircuitBreaker, {}),
    essential: Default(
      Type.Boolean({
        description:
          'Receives events without analytics consent too (user.consent.analytics not true), e.g. ' +
          'for playback monitoring the service needs. Other connectors only get consented events.',
      }),
      false,
    ),
    missing_consent: Default(
      StringEnum(
        ['allow', 'deny'],
        'Events that carry no user.consent at all: allow (SDKs that do not report consent) or deny ' +
          '(strict opt-in). Ignored when essential.',
      ),
      'allow',
    ),
    sources: Type.Optional(
      Type.Array(Type.String({ description: 'A source name from the top-level sources.' }), {
        description: 'Sources whose events this connector receives (default: all).',
      }),
    ),
    event_types: Type.Optional(EventTypeList('Event types this connector receives (default: all).')),
    exclude_types: Type.Optional(EventTypeList('Event types this connector never receives.')),
    filter: Type.Optional(Condition('Only events matching this condition are sent (docs/pipelines.md).')),
    sampling: Default(Sampling, {}),
    segments: Type.Optional(
      Type.Array(StringEnum(SEGMENTS, 'A segment of the data dictionary.'), {
        minItems: 1,
        uniqueItems: true,
        description:
          'Data segments sent (default: all). [qos] sends QoS event types with the common fields and ' +
          'the qos context groups only: no user, content, page or custom data.',
      }),
    ),
    privacy: Default(Privacy, {}),
    mapping: Type.Optional(
      Type.Array(MappingRule, {
        description: 'Field mapping rules, applied in order before the connector transform.',
      }),
    ),
    cap: Type.Optional(Cap),
  },
  { additionalProperties: false, description: 'A destination: one worker group.' },
)

export const Source = Type.Object(
  {
    name: Name('Source name, stamped on every event as source.'),
    write_key: Type.String({
      minLength: 8,
      writeOnly: true,
      description:
        'Secret sent by players, unique per source; read it from the environment with interpolation.',
    }),
    allowed_origins: Default(
      Type.Array(Type.String(), {
        description:
          'Browser origins allowed to send (scheme://host[:port]), or "*"; requests without Origin are allowed.',
      }),
      ['*'],
    ),
  },
  { additionalProperties: false, description: 'Who may send events, with its own write key.' },
)

const Ingest = Type.Object(
  {
    host: Default(Type.String({ description: 'Address to listen on.' }), '0.0.0.0'),
    port: Port('Port to listen on.', 8080),
    body_limit_bytes: Default(
      PositiveInt('Largest request body, measured after decompression (413 past it).'),
      1_048_576,
    ),
    max_events: Default(PositiveInt('Largest number of events in one request.'), 500),
    shutdown_delay_ms: Default(
      Type.Integer({
        minimum: 0,
        description:
          'On SIGTERM, how long /readyz answers 503 before the listener closes, so a load balancer drains the node.',
      }),
      5000,
    ),
    trust_proxy: Default(
      Type.Unsafe<boolean | string>({
        type: ['boolean', 'string'],
        description: 'Trust X-Forwarded-For from proxies (true, or a list of addresses/CIDRs).',
      }),
      false,
    ),
    under_pressure: Default(
      Type.Object(
        {
          max_event_loop_delay_ms: Default(PositiveInt('Event-loop delay limit.'), 1000),
          max_heap_used_bytes: Default(PositiveInt('Heap limit.'), 1_500_000_000),
          retry_after_seconds: Default(PositiveInt('Retry-After sent when shedding.'), 1),
        },
        {
          additionalProperties: false,
          description: 'Load shedding: past these limits requests get 503 with Retry-After.',
        },
      ),
      {},
    ),
  },
  { additionalProperties: false, description: 'The HTTP ingest server.' },
)

const Worker = Type.Object(
  {
    ops_host: Default(Type.String({ description: 'Address of /healthz, /readyz, /metrics.' }), '0.0.0.0'),
    ops_port: Port('Port of /healthz, /readyz and /metrics when no ingest runs in the process.', 9464),
  },
  { additionalProperties: false, description: 'Worker-only processes (--role worker).' },
)

const Bus = Type.Object(
  {
    type: Default(
      StringEnum(
        ['embedded', 'kafka'],
        'embedded needs nothing but Node.js; kafka is for several processes and machines.',
      ),
      'embedded',
    ),
    path: Default(
      Type.String({
        minLength: 1,
        description: 'Embedded: the SQLite file (relative to the working directory).',
      }),
      'framewire-data/bus.db',
    ),
    partitions: Default(
      PositiveInt('Embedded: partitions per topic (parallel, ordered lanes per connector).'),
      3,
    ),
    retention_hours: Default(
      Type.Number({
        exclusiveMinimum: 0,
        description: 'Embedded: records older than this are deleted, delivered or not.',
      }),
      168,
    ),
    retention_bytes: Default(
      PositiveInt('Embedded: past this file size the oldest records are deleted, delivered or not.'),
      1_073_741_824,
    ),
  },
  {
    additionalProperties: false,
    description: 'The durable log between ingest and workers: embedded (SQLite, one process) or kafka.',
  },
)

const Console = Type.Object(
  {
    enabled: Default(Type.Boolean({ description: 'Serve /console (framewire dev always does).' }), false),
    token: Default(
      Type.String({
        writeOnly: true,
        description: 'Admin token for /console; empty: a random one, printed at start.',
      }),
      '',
    ),
  },
  { additionalProperties: false, description: 'The live event console at /console on the ingest port.' },
)

const Trace = Type.Object(
  {
    sampling: Default(
      StringEnum(['off', 'all', 'share', 'failed'] as const, {
        description:
          'Which events get a trace: none, all, a share (`share`, by a hash of event_id, so every process agrees) or only those a connector failed to deliver.',
      }),
      'off',
    ),
    share: Default(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description: 'With sampling: share, the share of events traced.',
      }),
      0.01,
    ),
    ttl_seconds: Default(PositiveInt('How long a trace is kept (Redis and in-process).'), 86_400),
    failed_window_seconds: Default(
      PositiveInt(
        'With sampling: failed, how long the trace of an event with no failure is kept; a failure keeps it for ttl_seconds.',
      ),
      600,
    ),
    max_events: Default(
      PositiveInt('In-process store: traces kept (about 1 KB each); the least recently written go first.'),
      10_000,
    ),
    max_stages: Default(
      PositiveInt('Stages kept per event; later ones are dropped.', { maximum: 1000 }),
      100,
    ),
  },
  {
    additionalProperties: false,
    description:
      'Per-event traces at GET /v1/events/:event_id/trace (console token). Stored in Redis on the kafka bus with a redis.url, else in this process.',
  },
)

const Kafka = Type.Object(
  {
    brokers: Default(
      Type.Array(Type.String(), { minItems: 1, description: 'Bootstrap brokers, host:port.' }),
      ['127.0.0.1:9092'],
    ),
    client_id: Default(Type.String({ description: 'Kafka client id.' }), 'framewire'),
    group_prefix: Default(
      Type.String({
        description:
          'Prefix of consumer group ids (connector.<name>, dlq-replay.<name>), to share a cluster.',
      }),
      'fw.',
    ),
    partitions: Default(PositiveInt('Partitions of the topics Framewire creates.'), 6),
    replication_factor: Default(
      PositiveInt(
        'Replication factor of the topics Framewire creates: 3 in production, so an acknowledged event is on ' +
          'three brokers; at most the number of brokers (refused at start-up otherwise).',
      ),
      3,
    ),
    min_insync_replicas: Default(
      PositiveInt(
        'min.insync.replicas of those topics: with acks=all, a write is acknowledged only once this many ' +
          'replicas have it (synchronous replication); at most replication_factor.',
      ),
      2,
    ),
  },
  {
    additionalProperties: false,
    description: 'The Kafka cluster. KAFKA_BROKERS, when set, overrides brokers.',
  },
)

const Topics = Type.Object(
  {
    events: Default(Type.String({ description: 'Accepted, enriched events.' }), 'fw.events.v1'),
    invalid: Default(Type.String({ description: 'Rejected events with reasons.' }), 'fw.invalid.v1'),
    dlq_prefix: Default(Type.String({ description: 'Prefix of per-connector dead letters.' }), 'fw.dlq.'),
  },
  { additionalProperties: false, description: 'Topic names.' },
)

const Produce = Type.Object(
  {
    linger_ms: Default(
      Type.Integer({
        minimum: 0,
        description: 'How long records of concurrent requests wait to share a produce request.',
      }),
      5,
    ),
    max_batch_records: Default(PositiveInt('A shared batch this large is sent at once.'), 1000),
    timeout_ms: Default(PositiveInt('A produce slower than this answers 503 with Retry-After.'), 5000),
  },
  { additionalProperties: false, description: 'How ingest writes to the bus.' },
)

const Redis = Type.Object(
  {
    url: Default(Type.String({ description: 'Redis URL.' }), 'redis://127.0.0.1:6379'),
    dedupe_ttl_seconds: Default(PositiveInt('How long an event_id is remembered.'), 86_400),
    pending_ttl_seconds: Default(
      PositiveInt('How long an unacknowledged claim on an event_id lives if its node dies.'),
      60,
    ),
    local_dedupe_max_ids: Default(
      PositiveInt('Without Redis: event_ids remembered in memory (about 150 bytes each); oldest go first.'),
      1_000_000,
    ),
  },
  {
    additionalProperties: false,
    description:
      'Redis, for event_id dedupe and shared caps. An empty url keeps both in this process instead.',
  },
)

export const configSchema = Type.Object(
  {
    node_id: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Name of this node in enriched events and logs (default: the host name).',
      }),
    ),
    ingest: Default(Ingest, {}),
    worker: Default(Worker, {}),
    bus: Default(Bus, {}),
    console: Default(Console, {}),
    trace: Default(Trace, {}),
    kafka: Default(Kafka, {}),
    topics: Default(Topics, {}),
    produce: Default(Produce, {}),
    redis: Default(Redis, {}),
    sources: Type.Array(Source, {
      minItems: 1,
      description: 'Who may send events: each source has its own write key.',
    }),
    connectors: Default(Type.Array(Connector, { description: 'Destinations: one worker group each.' }), []),
  },
  {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://framewire.dev/schemas/v1/config.json',
    title: 'Framewire config',
    additionalProperties: false,
    $defs: { condition: Condition(CONDITION_DESCRIPTION) },
  },
)

export type ConnectorInput = Input<typeof Connector>

/** A connector entry built in code (tests, tools), with the schema's defaults filled in. */
export const connectorConfig = (input: ConnectorInput): Static<typeof Connector> =>
  withDefaults(Connector, input)
