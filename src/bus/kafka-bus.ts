import { type Consumer, Kafka, Partitioners, type Producer } from 'kafkajs'
import './kafkajs-idle-timer.ts'
import type { Logger } from 'pino'
import type { Bus, ConsumeOptions, Headers, OutgoingRecord, Subscription, TopicSpec } from './bus.ts'
import { kafkajsPinoLog } from './kafkajs-pino-log.ts'

type Admin = ReturnType<Kafka['admin']>

export interface KafkaBusOptions {
  brokers: string[]
  clientId: string
  logger: Logger
}

/**
 * Waits until every partition of new topics has a leader. In a cluster, the broker asked may not know a
 * topic that another just created (UNKNOWN_TOPIC_OR_PARTITION), so this polls rather than failing.
 */
async function waitForLeaders(a: Admin, specs: TopicSpec[], timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ready = await a.fetchTopicMetadata({ topics: specs.map((s) => s.topic) }).then(
      ({ topics }) =>
        topics.length === specs.length &&
        topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)),
      (err: Error) => {
        if (Date.now() > deadline) throw err
        return false
      },
    )
    if (ready) return
    if (Date.now() > deadline)
      throw new Error(`topics ${specs.map((s) => s.topic)} have no leaders after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** kafkajs has no linger; callers batch through CoalescingAppender so one send carries many requests. */
export function createKafkaBus(options: KafkaBusOptions): Bus {
  const log = options.logger.child({ component: 'kafka' })
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    // Fail a send within seconds rather than minutes: ingest answers 503 and the client retries.
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    ...kafkajsPinoLog(log),
  })

  let producer: Promise<Producer> | undefined
  const subscriptions = new Set<Subscription>()

  const connectProducer = async () => {
    const p = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    })
    await p.connect()
    return p
  }

  /**
   * After a failed send, the idempotent producer's sequence numbers no longer match what the broker may
   * have written, so a later batch could be taken for a duplicate and silently dropped. A fresh producer
   * gets a new producer id and starts clean.
   */
  const discardProducer = async (failed: Promise<Producer>) => {
    if (producer !== failed) return
    producer = undefined
    await failed.then((p) => p.disconnect()).catch(() => undefined)
  }

  let adminClient: Promise<Admin> | undefined
  /** One long-lived admin connection serves topic set-up and readiness probes. */
  const admin = async <T>(fn: (a: Admin) => Promise<T>): Promise<T> => {
    adminClient ??= (async () => {
      const a = kafka.admin()
      await a.connect()
      return a
    })()
    const current = adminClient
    try {
      return await fn(await current)
    } catch (err) {
      if (adminClient === current) adminClient = undefined
      await current.then((a) => a.disconnect()).catch(() => undefined)
      throw err
    }
  }

  return {
    async ensureTopics(specs: TopicSpec[], options = {}) {
      await admin(async (a) => {
        const existing = new Set(await a.listTopics())
        const missing = specs.filter((s) => !existing.has(s.topic))
        if (missing.length === 0) return
        options.beforeCreate?.((await a.describeCluster()).brokers.length)
        // Another process (ingest and workers start together) may create them first: that is no error.
        const created = await a.createTopics({
          waitForLeaders: false,
          topics: missing.map((s) => ({
            topic: s.topic,
            numPartitions: s.partitions,
            replicationFactor: s.replicationFactor,
            ...(s.minInsyncReplicas
              ? { configEntries: [{ name: 'min.insync.replicas', value: String(s.minInsyncReplicas) }] }
              : {}),
          })),
        })
        await waitForLeaders(a, missing)
        if (created) log.info({ topics: missing.map((s) => s.topic) }, 'created topics')
      })
    },

    async append(records: OutgoingRecord[]) {
      if (records.length === 0) return
      producer ??= connectProducer()
      const current = producer
      const byTopic = new Map<string, { key: string; value: Buffer; headers?: Headers }[]>()
      for (const r of records) {
        const list = byTopic.get(r.topic) ?? []
        byTopic.set(r.topic, list)
        list.push({ key: r.key, value: r.value, ...(r.headers ? { headers: r.headers } : {}) })
      }
      try {
        const p = await current
        await p.sendBatch({
          acks: -1,
          timeout: 10_000,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        })
      } catch (err) {
        await discardProducer(current)
        throw err
      }
    },

    async subscribe(opts: ConsumeOptions) {
      const consumer: Consumer = kafka.consumer({
        groupId: opts.group,
        sessionTimeout: 10_000,
        heartbeatInterval: 1000,
        maxWaitTimeInMs: 50,
        retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5000 },
      })
      let assigned = new Map<string, number[]>()
      // consumer.run() resolves after the first join; a crashed consumer restarts and must join again.
      let joined = false
      consumer.on(consumer.events.CRASH, () => {
        joined = false
      })
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        joined = true
        const next = new Map(Object.entries(payload.memberAssignment))
        for (const [topic, partitions] of assigned) {
          const kept = new Set(next.get(topic) ?? [])
          const revoked = partitions.filter((p) => !kept.has(p))
          if (revoked.length > 0) opts.onRevoke?.(topic, revoked)
        }
        assigned = next
      })
      await consumer.connect()
      await consumer.subscribe({ topics: opts.topics, fromBeginning: opts.fromBeginning })
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message, heartbeat }) => {
          const headers: Headers = {}
          for (const [k, v] of Object.entries(message.headers ?? {})) {
            if (v !== undefined) headers[k] = Array.isArray(v) ? String(v[0]) : String(v)
          }
          const done = opts.onRecord({
            topic,
            partition,
            offset: BigInt(message.offset),
            key: message.key ? message.key.toString() : null,
            value: message.value ?? Buffer.alloc(0),
            headers,
            timestamp: Number(message.timestamp),
          })
          // A record may wait long for buffer room (backpressure); keep the group membership alive meanwhile.
          const beat = setInterval(() => heartbeat().catch(() => undefined), 1000)
          try {
            await done
          } finally {
            clearInterval(beat)
          }
        },
      })
      const topicsOf = () => opts.topics.map((topic) => ({ topic }))
      const subscription: Subscription = {
        get joined() {
          return joined
        },
        async commit(topic, partition, nextOffset) {
          await consumer.commitOffsets([{ topic, partition, offset: nextOffset.toString() }])
        },
        pause: () => consumer.pause(topicsOf()),
        resume: () => consumer.resume(topicsOf()),
        async stop() {
          subscriptions.delete(subscription)
          await consumer.disconnect()
        },
      }
      subscriptions.add(subscription)
      return subscription
    },

    async ping() {
      await admin((a) => a.describeCluster())
    },

    async close() {
      await Promise.all([...subscriptions].map((s) => s.stop()))
      if (producer) await discardProducer(producer)
      if (adminClient) await adminClient.then((a) => a.disconnect()).catch(() => undefined)
    },
  }
}
