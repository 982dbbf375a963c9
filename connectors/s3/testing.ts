import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import S3rver from 's3rver'
import { awsClientConfig } from '../aws/client-options.ts'

/**
 * Test support: s3rver (the S3 REST API on a local server, objects in a temporary directory) and an admin
 * client to create buckets and read objects back. Used by the connector test and the end-to-end test.
 */

/** s3rver's built-in account. */
export const S3RVER_AWS = { region: 'us-east-1', access_key_id: 'S3RVER', secret_access_key: 'S3RVER' }

export interface StoredObject {
  key: string
  contentType: string | undefined
  contentEncoding: string | undefined
  /** The body, gunzipped. */
  text: string
}

export interface LocalS3 {
  endpoint: string
  admin: S3Client
  createBucket(name: string): Promise<void>
  /** Every object under `prefix`, by key. */
  readObjects(bucket: string, prefix?: string): Promise<StoredObject[]>
  close(): Promise<void>
}

export async function startS3rver(): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), 'framewire-s3rver-'))
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true })
  const { port } = await server.run()
  const endpoint = `http://127.0.0.1:${port}`
  const admin = new S3Client({ ...awsClientConfig({ ...S3RVER_AWS, endpoint }), forcePathStyle: true })

  return {
    endpoint,
    admin,
    async createBucket(name) {
      await admin.send(new CreateBucketCommand({ Bucket: name }))
    },
    async readObjects(bucket, prefix = '') {
      const objects: StoredObject[] = []
      let token: string | undefined
      do {
        const page = await admin.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        )
        for (const { Key: key = '' } of page.Contents ?? []) {
          const object = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
          const body = Buffer.from((await object.Body?.transformToByteArray()) ?? [])
          objects.push({
            key,
            contentType: object.ContentType,
            contentEncoding: object.ContentEncoding,
            text: gunzipSync(body).toString('utf8'),
          })
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined
      } while (token)
      return objects.sort((a, b) => a.key.localeCompare(b.key))
    },
    async close() {
      admin.destroy()
      await server.close()
      await rm(directory, { recursive: true, force: true })
    },
  }
}
