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
import { awsClientConfig } from '../aws/client-options.ts'

/**
 * Test support: kinesalite (the Kinesis API on a local, in-memory server) and an admin client to create
 * streams and read them back. Used by the connector test and the end-to-end test.
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
