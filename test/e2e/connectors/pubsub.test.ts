import { randomUUID } from 'node:crypto'
import { type Message, PubSub } from '@google-cloud/pubsub'
import { afterAll, expect, it } from 'vitest'
import type { EnrichedEvent } from '../../../src/event.ts'
import { startPipeline, testConfig } from '../../helpers/pipeline.ts'
import { type PubSubEmulator, startPubSubEmulator } from '../../helpers/pubsub-emulator.ts'
import { postViews } from '../harness.ts'

const PROJECT = 'framewire-e2e'
const topicName = `player-events-${randomUUID().slice(0, 8)}`

let emulator: PubSubEmulator | undefined
let admin: PubSub | undefined
let pipeline: Awaited<ReturnType<typeof startPipeline>> | undefined

afterAll(async () => {
  await pipeline?.stop()
  await admin?.close()
  await emulator?.stop()
})

it('publishes events posted to the ingest to a Pub/Sub topic (emulator), each view in order', async () => {
  emulator = await startPubSubEmulator()
  admin = new PubSub({ projectId: PROJECT, apiEndpoint: emulator.host })
  const [topic] = await admin.createTopic(topicName)
  const [subscription] = await topic.createSubscription(`${topicName}-sub`, { enableMessageOrdering: true })

  pipeline = await startPipeline(
    testConfig(`
connectors:
  - name: stream
    type: pubsub
    settings: { project_id: ${PROJECT}, topic: ${topicName}, api_endpoint: '${emulator.host}' }
    retry: { initial_backoff_ms: 50, max_backoff_ms: 1000 }
`),
    'all',
  )
  const events = await postViews(pipeline.url, 30)

  const got: Message[] = []
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`received ${got.length} of ${events.length}`)), 60_000)
    subscription.on('error', reject)
    subscription.on('message', (message: Message) => {
      got.push(message)
      message.ack()
      if (got.length >= events.length) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  await subscription.close()

  expect(new Set(got.map((m) => m.attributes.event_id))).toEqual(new Set(events.map((e) => e.event_id)))
  for (const message of got) {
    const event = JSON.parse(message.data.toString()) as EnrichedEvent
    expect(message.attributes).toEqual({ event_id: event.event_id, type: event.type, source: 'web' })
    expect(message.orderingKey).toBe(event.view_id)
    expect(event.received_at).toEqual(expect.any(Number))
  }
  for (const viewId of new Set(events.map((e) => e.view_id))) {
    const seqs = got
      .filter((m) => m.orderingKey === viewId)
      .map((m) => (JSON.parse(m.data.toString()) as EnrichedEvent).seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(seqs).toHaveLength(10)
  }
}, 120_000)
