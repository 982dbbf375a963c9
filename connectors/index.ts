import type { ConnectorDefinition } from '../src/worker/connector.ts'
import amplitude from './amplitude/index.ts'
import bigquery from './bigquery/index.ts'
import datadog from './datadog/index.ts'
import elasticsearch from './elasticsearch/index.ts'
import file from './file/index.ts'
import firehose from './firehose/index.ts'
import ga4 from './ga4/index.ts'
import heap from './heap/index.ts'
import kafka from './kafka/index.ts'
import kinesis from './kinesis/index.ts'
import mixpanel from './mixpanel/index.ts'
import newrelic from './newrelic/index.ts'
import opensearch from './opensearch/index.ts'
import postgres from './postgres/index.ts'
import pubsub from './pubsub/index.ts'
import s3 from './s3/index.ts'
import segment from './segment/index.ts'
import splunk from './splunk/index.ts'
import webhook from './webhook/index.ts'

/**
 * Every connector type Framewire ships, by `type` (the `type:` of a connector in the YAML config).
 * Settings are validated against each definition's `settingsSchema` before the runtime uses them, so the
 * map is typed loosely here.
 */
// biome-ignore lint/suspicious/noExplicitAny: heterogeneous registry; settings are checked by settingsSchema.
export type AnyConnectorDefinition = ConnectorDefinition<any, any>

export const connectorTypes: Record<string, AnyConnectorDefinition> = {
  [amplitude.type]: amplitude,
  [bigquery.type]: bigquery,
  [datadog.type]: datadog,
  [elasticsearch.type]: elasticsearch,
  [file.type]: file,
  [firehose.type]: firehose,
  [ga4.type]: ga4,
  [heap.type]: heap,
  [kafka.type]: kafka,
  [kinesis.type]: kinesis,
  [mixpanel.type]: mixpanel,
  [newrelic.type]: newrelic,
  [opensearch.type]: opensearch,
  [postgres.type]: postgres,
  [pubsub.type]: pubsub,
  [s3.type]: s3,
  [segment.type]: segment,
  [splunk.type]: splunk,
  [webhook.type]: webhook,
}
