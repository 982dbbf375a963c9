import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Role } from '../../src/app/start.ts'
import {
  type LocalKafkaOptions,
  localKafkaNodes,
  nodePid,
  startLocalKafka,
} from '../../src/bus/local-kafka.ts'
import { waitForMetadata } from '../../src/cli/kafka-command.ts'
import { freePort } from '../helpers/free-port.ts'
import { WRITE_KEY, waitReady } from '../helpers/pipeline.ts'
import { startWebhookStandIn, type WebhookStandIn } from '../stand-ins/webhook.ts'
import { type Answer, postUntilStopped, startFramewireProcess, until, WEBHOOK_SECRET } from './harness.ts'

// A three-node cluster of this test's own, away from the shared broker on 9092.
const cluster: LocalKafkaOptions = {
  port: 19_392,
  brokers: 3,
  dataDir: mkdtempSync(join(tmpdir(), 'fw-failover-')),
  heap: '256m',
}
const children: ChildProcess[] = []
let bootstrap: string
let capture: WebhookStandIn

beforeAll(async () => {
  bootstrap = await startLocalKafka(
    cluster,
    () => undefined,
    (b, n) => waitForMetadata(b, n),
  )
  capture = await startWebhookStandIn({ secret: WEBHOOK_SECRET })
}, 120_000)

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL')
  for (const node of localKafkaNodes(cluster)) {
    const pid = nodePid(node)
    if (pid) process.kill(pid, 'SIGKILL')
  }
  rmSync(cluster.dataDir, { recursive: true, force: true })
  await capture?.close()
})

const startProcess = (configFile: string, role: Role) =>
  startFramewireProcess(configFile, role, children, 'error')

const killed = (child: ChildProcess) => new Promise((r) => child.once('exit', r))

/** The node leading partition 0 of `topic`, as the cluster reports it now. */
async function leaderOf(topic: string): Promise<number> {
  const admin = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
    const leader = topics[0]?.partitions.find((p) => p.partitionId === 0)?.leader
    if (leader === undefined) throw new Error(`no leader for ${topic}/0`)
    return leader
  } finally {
    await admin.disconnect()
  }
}

/**
 * After `from`: the longest time between two consecutive 202 answers, when that gap ended (acceptance
 * resumed), and the answers other than 202.
 */
function outage(answers: Answer[], from: number) {
  const after = answers.filter((a) => a.at >= from).sort((a, b) => a.at - b.at)
  let previous = from
  let longestWithout202 = 0
  let resumedAt = from
  for (const a of after.filter((a) => a.status === 202)) {
    if (a.at - previous > longestWithout202) {
      longestWithout202 = a.at - previous
      resumedAt = a.at
    }
    previous = a.at
  }
  return {
    longestWithout202,
    acceptingAgain: resumedAt - from,
    failed: after.filter((a) => a.status !== 202).length,
  }
}

it('keeps every acknowledged event through a partition leader kill and a worker kill', async () => {
  const [ingestPort, opsPort] = await Promise.all([freePort(), freePort()])
  const id = Date.now().toString(36)
  const topic = `fw.failover.${id}`
  // Production defaults: replication 3, min.insync.replicas 2, acks=all (none of them set here).
  const yaml = `
node_id: failover
ingest: { host: 127.0.0.1, port: ${ingestPort}, shutdown_delay_ms: 0 }
worker: { ops_host: 127.0.0.1, ops_port: ${opsPort} }
bus: { type: kafka }
kafka: { brokers: [${bootstrap}], group_prefix: fw.${id}. }
topics: { events: ${topic}, invalid: fw.failover-invalid.${id}, dlq_prefix: fw.failover-dlq.${id}. }
redis: { url: '' }
sources:
  - { name: web, write_key: ${WRITE_KEY}, allowed_origins: ['*'] }
connectors:
  - name: capture
    type: webhook
    settings: { url: ${capture.endpoint}, secret: '${WEBHOOK_SECRET}' }
    retry: { initial_backoff_ms: 50, max_backoff_ms: 1000 }
    circuit_breaker: { open_ms: 500 }
`
  const file = join(cluster.dataDir, 'framewire.yaml')
  writeFileSync(file, yaml)
  const ingestUrl = `http://127.0.0.1:${ingestPort}`
  const workerUrl = `http://127.0.0.1:${opsPort}`
  startProcess(file, 'ingest')
  let worker = startProcess(file, 'worker')
  // The worker's /readyz waits for its consumer group to join.
  await Promise.all([waitReady(ingestUrl, 60_000), waitReady(workerUrl, 60_000)])

  // Two loops, 50 ms apart: a steady few hundred events a second that two cores and three brokers can take.
  const load = postUntilStopped(ingestUrl, { loops: 2, pauseMs: 50 })
  try {
    await until('500 acknowledged events', () => load.acknowledged.length >= 500, 30_000)

    const leader = await leaderOf(topic)
    const node = localKafkaNodes(cluster).find((n) => n.id === leader)
    const pid = node && nodePid(node)
    if (!pid) throw new Error(`no local process for leader node ${leader}`)
    const killedAt = Date.now()
    process.kill(pid, 'SIGKILL')
    const before = load.acknowledged.length
    await until('the ingest accepting again', () => load.acknowledged.length >= before + 500, 60_000)
    expect(await leaderOf(topic)).not.toBe(leader)

    const workerKilledAt = Date.now()
    worker.kill('SIGKILL')
    await killed(worker)
    worker = startProcess(file, 'worker')
    await waitReady(workerUrl, 60_000)
    const workerBack = Date.now() - workerKilledAt
    const beforeWorker = load.acknowledged.length
    await until(
      'more load after the worker restart',
      () => load.acknowledged.length >= beforeWorker + 300,
      30_000,
    )
    await load.stop()

    const acknowledged = new Set(load.acknowledged.map((e) => e.event_id))
    await until(
      'every acknowledged event at the capture server',
      () => capture.uniqueCount() >= acknowledged.size,
      // Zero loss is the assertion, not the time: a loaded machine may take long over the backlog.
      150_000,
    )
    const delivered = new Set(capture.events.map((e) => e.event_id))
    const lost = [...acknowledged].filter((eventId) => !delivered.has(eventId))
    const { longestWithout202, acceptingAgain, failed } = outage(load.answers, killedAt)
    console.log(
      JSON.stringify({
        leader_kill: {
          node: leader,
          longest_without_202_ms: longestWithout202,
          accepting_again_ms: acceptingAgain,
          failed_requests: failed,
        },
        worker_kill: { ready_again_ms: workerBack },
        acknowledged: acknowledged.size,
        sent: load.sent.length,
        delivered: capture.events.length,
        duplicates: capture.duplicateCount(),
        lost: lost.length,
      }),
    )
    expect(lost).toEqual([])
    worker.kill('SIGTERM')
    expect(await killed(worker)).toBe(0)
  } finally {
    await load.stop()
  }
}, 300_000)
