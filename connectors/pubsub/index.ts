import { type ClientConfig, PubSub, type Topic } from '@google-cloud/pubsub'
import { type Static, Type } from '@sinclair/typebox'
import { type BatchItem, defineConnector, type Outcome, type SdkCall } from '../../src/worker/connector.ts'
import { sendPrechecked } from '../../src/worker/http-connector.ts'
import { refuseOversized } from '../common/oversized.ts'
import { ConnectorSettings } from '../common/settings.ts'

/** One Pub/Sub message: the event as JSON, identifying attributes, the view id as ordering key. */
export interface PubSubRecord {
  data: string
  attributes: { event_id: string; type: string; source: string }
  orderingKey?: string
}

export interface PubSubResources {
  pubsub: PubSub
  topic: Topic
}

// https://cloud.google.com/pubsub/quotas#resource_limits: a publish request carries at most 1,000 messages
// and 10 MB; a message at most 10 MB, 100 attributes (values ≤ 1,024 bytes), an ordering key ≤ 1 KB. The
// client library splits its own batches at 1,000 messages / 9 MiB (publisher BATCH_LIMITS).
export const MAX_MESSAGES_PER_REQUEST = 1_000
export const MAX_REQUEST_BYTES = 10_000_000
const CLIENT_MAX_BATCH_BYTES = 9 * 1024 * 1024
/** Per-message framing of a PubsubMessage in the request besides data, attributes and key. */
const MESSAGE_OVERHEAD_BYTES = 32

/**
 * gRPC codes the client library itself retries for Publish
 * (@google-cloud/pubsub v1/publisher_client_config.json, retry_codes of "Publish"); with its retries
 * turned off, these become the runtime's retries. PERMISSION_DENIED and UNAUTHENTICATED refuse the service
 * account (https://cloud.google.com/pubsub/docs/reference/error-codes): nothing passes until someone fixes
 * its key or roles, so the connector pauses. Everything else (INVALID_ARGUMENT, NOT_FOUND,
 * FAILED_PRECONDITION…) is rejected.
 */
const RETRY_CODES = new Set([1, 2, 4, 8, 10, 13, 14])
const CREDENTIAL_CODES = new Set([7, 16])
const CODE_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
]

export function outcomeForPublishError(error: unknown): Outcome {
  const { code, message } = error as { code?: unknown; message?: string }
  const name = typeof code === 'number' ? (CODE_NAMES[code] ?? `code ${code}`) : 'error'
  const reason = `Pub/Sub ${name}: ${message ?? String(error)}`
  if (typeof code === 'number' && CREDENTIAL_CODES.has(code))
    return { kind: 'paused', cause: 'credentials', reason }
  return typeof code === 'number' && !RETRY_CODES.has(code)
    ? { kind: 'rejected', reason }
    : { kind: 'retry', reason }
}

export const settingsSchema = ConnectorSettings({
  project_id: Type.String({ minLength: 1, description: 'Google Cloud project of the topic.' }),
  topic: Type.String({
    pattern: '^[A-Za-z][A-Za-z0-9._~%+-]{2,254}$',
    description: 'Topic id (not the full projects/…/topics/… name). It must exist.',
  }),
  api_endpoint: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'host[:port] of the Pub/Sub API instead of pubsub.googleapis.com: a regional endpoint (europe-west1-pubsub.googleapis.com) or the emulator (127.0.0.1:8085; any host outside googleapis.com is reached without TLS or credentials). PUBSUB_EMULATOR_HOST works too.',
    }),
  ),
  key_filename: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'Path of a service-account key file; without it Application Default Credentials are used (GOOGLE_APPLICATION_CREDENTIALS, workload identity, the metadata server).',
    }),
  ),
  ordering: Type.Boolean({
    default: true,
    description:
      "Publish with the view id as ordering key, so a subscription with message ordering delivers a view's events in order (1 MB/s per key).",
  }),
  max_messages: Type.Integer({
    minimum: 1,
    maximum: MAX_MESSAGES_PER_REQUEST,
    default: MAX_MESSAGES_PER_REQUEST,
    description: 'Messages per batch (Pub/Sub: at most 1,000 per publish request).',
  }),
  max_request_bytes: Type.Integer({
    minimum: 1_024,
    maximum: MAX_REQUEST_BYTES,
    default: MAX_REQUEST_BYTES,
    description: 'Bytes per batch (Pub/Sub: 10 MB per publish request).',
  }),
})
export type PubSubSettings = Static<typeof settingsSchema>

const messageBytes = (record: PubSubRecord) =>
  Buffer.byteLength(record.data) +
  Buffer.byteLength(record.orderingKey ?? '') +
  Object.entries(record.attributes).reduce(
    (sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v),
    0,
  ) +
  MESSAGE_OVERHEAD_BYTES

const limitsOf = (settings: PubSubSettings) => ({
  maxItems: settings.max_messages,
  maxBytes: settings.max_request_bytes,
})

/** A message larger than a whole publish request may be (Pub/Sub: 10 MB) is rejected without a request. */
const refusal = (settings: PubSubSettings) =>
  refuseOversized('Pub/Sub', limitsOf(settings).maxBytes, messageBytes)

/**
 * The messages a group of records becomes, each as `publishMessage` gets it (`data` as UTF-8 text here; the
 * bytes of that text on the wire): what `send` publishes and what `plan` shows.
 */
export function publishCall(
  items: BatchItem<PubSubRecord>[],
  settings: PubSubSettings,
): SdkCall & { params: { messages: PubSubRecord[] } } {
  return {
    kind: 'sdk',
    client: '@google-cloud/pubsub',
    operation: 'Publish',
    target: `${settings.api_endpoint ?? 'pubsub.googleapis.com'}/projects/${settings.project_id}/topics/${settings.topic}`,
    params: { messages: items.map(({ record }) => record) },
  }
}

export default defineConnector<PubSubSettings, PubSubRecord, PubSubResources>({
  type: 'pubsub',
  description: 'Publishes player events to a Google Cloud Pub/Sub topic, ordered per view.',
  settingsSchema,

  limits: limitsOf,

  // Pub/Sub has no publish-side deduplication; subscribers dedupe on the event_id attribute.
  transform(event, settings) {
    const record: PubSubRecord = {
      data: JSON.stringify(event),
      attributes: { event_id: event.event_id, type: event.type, source: event.source },
    }
    if (settings.ordering) record.orderingKey = event.view_id
    return record
  },

  recordBytes: messageBytes,

  async plan(batch, settings) {
    const kept = batch.filter((item) => refusal(settings)(item) === undefined)
    return kept.length === 0 ? [] : [publishCall(kept, settings)]
  },

  async open(settings) {
    const options: ClientConfig = { projectId: settings.project_id }
    if (settings.api_endpoint) options.apiEndpoint = settings.api_endpoint
    if (settings.key_filename) options.keyFilename = settings.key_filename
    const pubsub = new PubSub(options)
    const topic = pubsub.topic(settings.topic, {
      messageOrdering: settings.ordering,
      batching: {
        maxMessages: settings.max_messages,
        maxBytes: Math.min(settings.max_request_bytes, CLIENT_MAX_BATCH_BYTES),
        // The runtime already batched: the client sends what one send() hands it on the next tick.
        maxMilliseconds: 1,
      },
      // No client-side retries (gax would retry UNAVAILABLE & co. for up to 10 minutes): the runtime owns them.
      // gax's own Publish deadline (60 s) stays; the runtime's request_timeout_ms gives up on a send first.
      gaxOpts: { retry: null },
    })
    return { pubsub, topic }
  },

  async close({ pubsub, topic }) {
    await topic.flush()
    await pubsub.close()
  },

  async send(batch, { settings, resources: { topic } }) {
    return sendPrechecked(batch, refusal(settings), async (items) => ({
      outcomes: await publish(topic, publishCall(items, settings).params.messages),
    }))
  },
})

/**
 * Publishes each message, in order, and gives one outcome each. publishMessage is called synchronously for
 * every message: with ordering keys the client queues each view's messages in that order.
 */
async function publish(topic: Topic, messages: PubSubRecord[]): Promise<Outcome[]> {
  const results = await Promise.allSettled(
    messages.map(async (message) => topic.publishMessage({ ...message, data: Buffer.from(message.data) })),
  )
  const failedKeys = new Set<string>()
  const outcomes = results.map((result, i): Outcome => {
    if (result.status === 'fulfilled') return { kind: 'delivered' }
    const key = messages[i]?.orderingKey
    if (key !== undefined) failedKeys.add(key)
    return outcomeForPublishError(result.reason)
  })
  // After a failed publish the client pauses that ordering key and fails its later messages until
  // resumePublishing(key). The runtime retries the failed messages, so the key is resumed at once.
  for (const key of failedKeys) topic.resumePublishing(key)
  return outcomes
}
