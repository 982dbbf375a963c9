import type { AddressInfo } from 'node:net'
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis'
import kinesalite from 'kinesalite'
import { awsJsonError, forward, reply, startFaultProxy } from '../../test/stand-ins/aws-faults.ts'
import { kit, type StandIn } from '../../test/stand-ins/recorder.ts'
import { awsClientConfig } from '../aws/client-options.ts'

/**
 * Test support: kinesalite (the Kinesis API on a local, in-memory server) with an admin client to create
 * streams and read them back, and a fault proxy for what kinesalite cannot do. Used by the connector test,
 * the contract fixture and the end-to-end test.
 */

export const TEST_AWS = {
  region: 'us-east-1',
  access_key_id: 'AKIDFRAMEWIRETEST',
  secret_access_key: 'test-secret',
}

export interface Kinesalite {
  endpoint: string
  /** A client for setting up and reading streams. */
  admin: KinesisClient
  /** Creates a stream and waits until it is ACTIVE. */
  createStream(name: string, shards?: number): Promise<void>
  /** Every record of the stream, shard by shard, from the beginning. */
  readStream(name: string): Promise<{ shardId: string; partitionKey: string; data: string }[]>
  close(): Promise<void>
}

export async function startKinesalite(): Promise<Kinesalite> {
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const admin = new KinesisClient(awsClientConfig({ ...TEST_AWS, endpoint }))

  return {
    endpoint,
    admin,
    async createStream(name, shards = 1) {
      await admin.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }))
      for (let i = 0; i < 100; i++) {
        const { StreamDescriptionSummary } = await admin.send(
          new DescribeStreamSummaryCommand({ StreamName: name }),
        )
        if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      throw new Error(`stream ${name} did not become ACTIVE`)
    },
    async readStream(name) {
      const out: { shardId: string; partitionKey: string; data: string }[] = []
      const { Shards = [] } = await admin.send(new ListShardsCommand({ StreamName: name }))
      for (const { ShardId: shardId = '' } of Shards) {
        let { ShardIterator: iterator } = await admin.send(
          new GetShardIteratorCommand({
            StreamName: name,
            ShardId: shardId,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        )
        while (iterator) {
          const page = await admin.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }))
          for (const record of page.Records ?? []) {
            out.push({
              shardId,
              partitionKey: record.PartitionKey ?? '',
              data: Buffer.from(record.Data ?? []).toString('utf8'),
            })
          }
          iterator = page.Records?.length ? page.NextShardIterator : undefined
        }
      }
      return out
    },
    async close() {
      admin.destroy()
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      )
    },
  }
}

const MiB = 1024 * 1024

/** A PutRecords entry as it travels: base64 data. */
interface WireRecord {
  Data: string
  PartitionKey: string
}

/** Decides the ErrorCode of a record of the next PutRecords request, or undefined to store it. */
export type RecordFault = (record: { index: number; data: string }) => string | undefined

export interface KinesisProxy extends StandIn {
  /** The next PutRecords request fails the records `fault` names an error code for; the others are stored. */
  failNextRecords(fault: RecordFault): void
  /** The event ids of each PutRecords request received, in order, faulted ones included. */
  requestedIds(): string[][]
}

function wireRecords(body: Buffer): { body: Record<string, unknown>; records: WireRecord[] } {
  const parsed = kit.parseJson(body)
  const object = parsed.ok && kit.isRecord(parsed.value) ? parsed.value : {}
  return { body: object, records: Array.isArray(object.Records) ? (object.Records as WireRecord[]) : [] }
}

const text = (record: WireRecord) => Buffer.from(record.Data, 'base64').toString('utf8')

/**
 * A fault layer in front of kinesalite, which has no throttling and no partial failures: scripted request
 * faults (`script`, with AWS JSON error bodies from `awsJsonError`), and records chosen by the test answered
 * with a per-record ErrorCode and not forwarded (so they are really not stored), the others going to
 * kinesalite. It also enforces the request limit kinesalite lacks: more than 5 MiB of data and partition
 * keys → 400 InvalidArgumentException "Records size exceeds 5 MB limit".
 */
export async function startKinesisProxy(target: string): Promise<KinesisProxy> {
  const pending: RecordFault[] = []
  const base = await startFaultProxy(target, async (req, res) => {
    if (req.headers['x-amz-target'] !== 'Kinesis_20131202.PutRecords')
      return reply(res, await forward(target, req))
    const { body, records } = wireRecords(req.body as Buffer)
    const size = records.reduce(
      (sum, r) => sum + Buffer.from(r.Data, 'base64').length + Buffer.byteLength(r.PartitionKey),
      0,
    )
    if (size > 5 * MiB) {
      const answer = awsJsonError('InvalidArgumentException', 'Records size exceeds 5 MB limit')
      return res.code(400).headers(answer.headers).send(answer.body)
    }
    const fault = pending.shift() ?? (() => undefined)
    const codes = records.map((record, index) => fault({ index, data: text(record) }))
    const kept = records.filter((_, i) => codes[i] === undefined)
    let stored: { FailedRecordCount: number; Records: unknown[] } = { FailedRecordCount: 0, Records: [] }
    if (kept.length > 0) {
      const answer = await forward(target, req, Buffer.from(JSON.stringify({ ...body, Records: kept })))
      if (answer.status !== 200) return reply(res, answer)
      stored = JSON.parse(answer.body.toString('utf8'))
    }
    let next = 0
    const results = codes.map((code) => {
      if (code === undefined) return stored.Records[next++]
      const message = code === 'InternalFailure' ? 'Internal Service Failure' : `${code} for shard 0`
      return { ErrorCode: code, ErrorMessage: message }
    })
    const failed = stored.FailedRecordCount + codes.filter((code) => code !== undefined).length
    return res
      .header('content-type', 'application/x-amz-json-1.1')
      .send(JSON.stringify({ FailedRecordCount: failed, Records: results }))
  })
  return {
    ...base,
    failNextRecords(fault) {
      pending.push(fault)
    },
    requestedIds() {
      return base.received
        .filter((r) => r.headers['x-amz-target'] === 'Kinesis_20131202.PutRecords')
        .map((r) =>
          wireRecords(r.rawBody).records.map((record) => JSON.parse(text(record)).event_id as string),
        )
    },
  }
}
