import { randomUUID } from 'node:crypto'
import { Kafka, logLevel, type Producer, type ProducerRecord } from 'kafkajs'
import { inject } from 'vitest'
import type { ContractFixture, SentRequest } from '../../test/contract/fixture.ts'
import { readTopic } from '../../test/helpers/pipeline.ts'

/**
 * The contract against the real broker (kafkajs' Kafka.prototype.producer is wrapped to record the calls the
 * connector makes). The broker can only refuse what it really refuses here: a record over the topic's
 * max.message.bytes.
 */
const fixture: ContractFixture = {
  async start() {
    const brokers = inject('kafkaBrokers')
    const topic = `contract.kafka.${randomUUID().slice(0, 8)}`
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    // A partner topic's own record-batch limit, just above the connector's default max_batch_bytes (1 MB):
    // full batches pass, a record over it is refused with MESSAGE_TOO_LARGE.
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 3, configEntries: [{ name: 'max.message.bytes', value: '1000100' }] }],
    })
    const calls: SentRequest[] = []
    const original = Kafka.prototype.producer
    Kafka.prototype.producer = function (this: Kafka, ...args: Parameters<Kafka['producer']>): Producer {
      const producer = original.apply(this, args)
      const send = producer.send.bind(producer)
      producer.send = async (record: ProducerRecord) => {
        if (record.topic !== topic) return send(record)
        calls.push({
          ids: record.messages.map((m) => String((m.headers as Record<string, string>).event_id)),
        })
        return send(record)
      }
      return producer
    }

    return {
      settings: { brokers, topic },
      requests: () => calls,
      stored: async () => {
        const offsets = await admin.fetchTopicOffsets(topic)
        const total = offsets.reduce((sum, p) => sum + Number(p.high), 0)
        const records = await readTopic(topic, total, 30_000, brokers)
        return records.map((r) => r.headers.event_id as string)
      },
      throttle: {
        unsupported:
          'Kafka quotas never refuse a produce: the broker delays its answer and reports throttle_time_ms, ' +
          'which kafkajs waits out inside the call; there is no error or Retry-After to honour',
      },
      unavailable: {
        unsupported:
          'the shared single-broker test cluster cannot lose a partition leader or in-sync replicas for one ' +
          'request (it does not enforce min.insync.replicas above the replication factor), and stopping it would ' +
          'break the other suites; retriable kafkajs errors → retry is unit-tested in kafka.test.ts',
      },
      reset: {
        unsupported:
          'kafkajs reconnects and resends inside one producer.send (retries: 3, with the idempotent ' +
          "producer's sequence numbers), so one dropped connection never reaches the connector; a broker that " +
          'keeps failing is the unavailable case',
      },
      refuseCredentials: {
        unsupported:
          'the test broker has no SASL listener and no authorizer, so nothing can refuse credentials; ' +
          'SASL_AUTHENTICATION_FAILED and *_AUTHORIZATION_FAILED → paused is unit-tested in kafka.test.ts',
      },
      partial: {
        unsupported:
          'kafkajs acknowledges or fails a producer.send as a whole (a partition error throws for every record), ' +
          'so there is no per-record outcome',
      },
      async stop() {
        Kafka.prototype.producer = original
        await admin.deleteTopics({ topics: [topic] }).catch(() => undefined)
        await admin.disconnect()
      },
    }
  },
}
export default fixture
