/**
 * The parsed, validated and defaulted YAML config, typed from the schema (schema.ts): keys mirror the YAML
 * (snake_case), and every property the schema gives a default is present.
 */

import type { Static } from '@sinclair/typebox'
import type { Batching, CircuitBreaker, Retry } from './blocks.ts'
import type { CAP_ACTIONS, Connector, configSchema, Source } from './schema.ts'

export type { ConnectorInput, FilterCondition } from './schema.ts'

type Loaded = Static<typeof configSchema>

/** The loader fills node_id with the host name when the YAML has none. */
export type FramewireConfig = Omit<Loaded, 'node_id'> & { node_id: string }
export type SourceConfig = Static<typeof Source>
export type ConnectorConfig = Static<typeof Connector>
export type BatchingConfig = Static<typeof Batching>
export type RetryConfig = Static<typeof Retry>
export type CircuitBreakerConfig = Static<typeof CircuitBreaker>
export type SamplingConfig = ConnectorConfig['sampling']
export type PrivacyConfig = ConnectorConfig['privacy']
export type MappingRule = NonNullable<ConnectorConfig['mapping']>[number]
export type CapConfig = NonNullable<ConnectorConfig['cap']>
export type CapAction = (typeof CAP_ACTIONS)[number]
export type PipelineSegment = NonNullable<ConnectorConfig['segments']>[number]
/** A value a filter compares with. */
export type FilterScalar = string | number | boolean | null
export type IngestConfig = Loaded['ingest']
export type WorkerProcessConfig = Loaded['worker']
export type TraceConfig = Loaded['trace']
export type BusConfig = Loaded['bus']
export type ConsoleConfig = Loaded['console']
export type KafkaConfig = Loaded['kafka']
export type TopicsConfig = Loaded['topics']
export type ProduceConfig = Loaded['produce']
export type RedisConfig = Loaded['redis']
