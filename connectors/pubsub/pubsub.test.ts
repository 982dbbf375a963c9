import { randomUUID } from 'node:crypto'
import { type Message, PubSub } from '@google-cloud/pubsub'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { EnrichedEvent } from '../../src/event.ts'
import { makeEvent, makeView } from '../../test/fixtures/events.ts'
import { makeAgent, makeBatch, makeContext, makeOpenContext } from '../../test/fixtures/send-context.ts'
import { settingsMaker } from '../../test/fixtures/settings.ts'
import { type PubSubEmulator, startPubSubEmulator } from '../../test/helpers/pubsub-emulator.ts'
import pubsub, {
  outcomeForPublishError,
  type PubSubRecord,
  type PubSubResources,
  type PubSubSettings,
  settingsSchema,
} from './index.ts'

const PROJECT = 'framewire-test'

const settings = settingsMaker(settingsSchema, () => ({
  project_id: PROJECT,
  topic: `events-${randomUUID().slice(0, 8)}`,
}))

describe('pubsub transform and errors', () => {
  it('publishes the event as JSON data with identifying attributes and the view id as ordering key', () => {
    const event = makeEvent()
    const record = pubsub.transform(event, settings()) as PubSubRecord
    expect(JSON.parse(record.data)).toEqual(event)
    expect(record.attributes).toEqual({ event_id: event.event_id, type: 'playing', source: 'web-player' })
    expect(record.orderingKey).toBe(event.view_id)
    expect(pubsub.transform(event, settings({ ordering: false }))).not.toHaveProperty('orderingKey')
    expect(pubsub.limits(settings())).toEqual({ maxItems: 1_000, maxBytes: 10_000_000 })
    expect(pubsub.recordBytes?.(record)).toBeGreaterThan(Buffer.byteLength(record.data))
  })

  it.each([
    [14, 'retry', 'UNAVAILABLE'],
    [4, 'retry', 'DEADLINE_EXCEEDED'],
    [8, 'retry', 'RESOURCE_EXHAUSTED'],
    [13, 'retry', 'INTERNAL'],
    [10, 'retry', 'ABORTED'],
    [3, 'rejected', 'INVALID_ARGUMENT'],
    [5, 'rejected', 'NOT_FOUND'],
  ])('gRPC code %i → %s', (code, kind, name) => {
    expect(outcomeForPublishError(Object.assign(new Error('boom'), { code }))).toEqual({
      kind,
      reason: `Pub/Sub ${name}: boom`,
    })
  })

  it.each([
    [7, 'PERMISSION_DENIED'],
    [16, 'UNAUTHENTICATED'],
  ])('gRPC code %i pauses for credentials', (code, name) => {
    expect(outcomeForPublishError(Object.assign(new Error('boom'), { code }))).toEqual({
      kind: 'paused',
      cause: 'credentials',
      reason: `Pub/Sub ${name}: boom`,
    })
  })

  it('plans the messages publishMessage gets: data, attributes, ordering key, on the topic', async () => {
    const config = settings({ api_endpoint: '127.0.0.1:8085', ordering: false })
    const events = makeView(2)
    const [call] = await pubsub.plan(makeBatch(pubsub, config, events), config)
    const messages = (call?.kind === 'sdk' ? call.params : undefined) as { messages: PubSubRecord[] }
    expect(call?.kind === 'sdk' && call.target).toBe(
      `127.0.0.1:8085/projects/${PROJECT}/topics/${config.topic}`,
    )
    expect(messages.messages.map((m) => JSON.parse(m.data).event_id)).toEqual(events.map((e) => e.event_id))
    expect(messages.messages.every((m) => !('orderingKey' in m))).toBe(true)
  })
})

describe('pubsub send against the Pub/Sub emulator', () => {
  let emulator: PubSubEmulator
  let admin: PubSub
  const agent = makeAgent()
  const opened: PubSubResources[] = []

  beforeAll(async () => {
    emulator = await startPubSubEmulator()
    admin = new PubSub({ projectId: PROJECT, apiEndpoint: emulator.host })
  })
  afterEach(async () => {
    for (const resources of opened.splice(0)) await pubsub.close?.(resources)
  })
  afterAll(async () => {
    await admin?.close()
    await emulator?.stop()
    await agent.close()
  })

  async function open(config: PubSubSettings) {
    const resources = (await pubsub.open?.(config, makeOpenContext())) as PubSubResources
    opened.push(resources)
    const send = (events: EnrichedEvent[]) =>
      pubsub.send(
        makeBatch(pubsub, config, events),
        makeContext(config, agent, { resources, timeoutMs: 20_000 }),
      )
    return { resources, send }
  }

  async function pull(subscriptionName: string, count: number): Promise<Message[]> {
    const subscription = admin.subscription(subscriptionName)
    const got: Message[] = []
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pulled ${got.length} of ${count} messages`)), 20_000)
      subscription.on('error', reject)
      subscription.on('message', (message: Message) => {
        got.push(message)
        message.ack()
        if (got.length >= count) {
          clearTimeout(timer)
          resolve()
        }
      })
    })
    await subscription.close()
    return got
  }

  it('delivers interleaved views; an ordered subscription gets each view in order, with the attributes', async () => {
    const config = settings({ api_endpoint: emulator.host })
    const [topic] = await admin.createTopic(config.topic)
    await topic.createSubscription(`${config.topic}-sub`, { enableMessageOrdering: true })
    const { send } = await open(config)
    const views = [makeView(15), makeView(15), makeView(15)]
    const interleaved = views[0]?.flatMap((_, i) => views.map((v) => v[i] as EnrichedEvent)) ?? []
    expect(await send(interleaved)).toEqual(interleaved.map(() => ({ kind: 'delivered' })))

    const got = await pull(`${config.topic}-sub`, interleaved.length)
    expect(got).toHaveLength(45)
    for (const message of got) {
      const event = JSON.parse(message.data.toString()) as EnrichedEvent
      expect(message.orderingKey).toBe(event.view_id)
      expect(message.attributes).toEqual({ event_id: event.event_id, type: event.type, source: 'web-player' })
    }
    for (const view of views) {
      const seqs = got
        .filter((m) => m.orderingKey === view[0]?.view_id)
        .map((m) => (JSON.parse(m.data.toString()) as EnrichedEvent).seq)
      expect(seqs).toEqual(view.map((e) => e.seq))
    }
  })

  it('a missing topic rejects the batch (NOT_FOUND), resumes the paused keys, and later publishes go through', async () => {
    const config = settings({ api_endpoint: emulator.host })
    const { resources, send } = await open(config)
    const resume = vi.spyOn(resources.topic, 'resumePublishing')
    const views = [makeView(3), makeView(3)]
    const outcomes = await send(views.flat())
    expect(outcomes).toEqual(
      views.flat().map(() => ({ kind: 'rejected', reason: expect.stringMatching(/^Pub\/Sub NOT_FOUND: /) })),
    )
    expect(resume.mock.calls.map(([key]) => key).sort()).toEqual(views.map((v) => v[0]?.view_id).sort())

    await admin.createTopic(config.topic)
    const again = [makeView(2, { view_id: views[0]?.[0]?.view_id })].flat()
    expect(await send(again)).toEqual(again.map(() => ({ kind: 'delivered' })))
  })

  it('an unreachable endpoint makes the batch retryable (the client does not retry on its own)', async () => {
    const config = settings({ api_endpoint: '127.0.0.1:1' })
    const { send } = await open(config)
    const outcomes = await send(makeView(2))
    expect(
      outcomes.every((o) => o.kind === 'retry' && /^Pub\/Sub (UNAVAILABLE|DEADLINE_EXCEEDED)/.test(o.reason)),
    ).toBe(true)
  }, 30_000)
})
