import { gunzipSync } from 'node:zlib'
import type { ContractFixture } from '../../test/contract/fixture.ts'
import { s3XmlError, startFaultProxy } from '../../test/stand-ins/aws-faults.ts'
import { S3RVER_AWS, startS3rver } from './testing.ts'

const BUCKET = 'contract-lake'

const idsOf = (ndjson: string) =>
  ndjson
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line).event_id as string)

/** s3rver behind a fault proxy, which answers faults with S3's own XML errors. */
const fixture: ContractFixture = {
  async start() {
    const server = await startS3rver()
    await server.createBucket(BUCKET)
    const proxy = await startFaultProxy(server.endpoint)
    const { script } = proxy
    return {
      // Smaller objects than the 64 MiB default keep the byte-limit batch quick.
      settings: {
        ...S3RVER_AWS,
        bucket: BUCKET,
        endpoint: proxy.url,
        force_path_style: true,
        max_object_bytes: 4 * 1024 * 1024,
      },
      // https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html: SlowDown, 503 ("Reduce your
      // request rate"); the wait rides in x-amz-retry-after.
      throttle: (seconds) =>
        script.failNext(
          1,
          503,
          s3XmlError('SlowDown', 'Please reduce your request rate.', { retryAfterSeconds: seconds }),
        ),
      // Same page: InternalError, 500.
      unavailable: () =>
        script.failNext(
          1,
          500,
          s3XmlError('InternalError', 'We encountered an internal error. Please try again.'),
        ),
      reset: () => script.resetNext(1),
      // Same page: AccessDenied, 403.
      refuseCredentials: () => script.failNext(1, 403, s3XmlError('AccessDenied', 'Access Denied')),
      partial: { unsupported: 'an object is written whole or not at all: PutObject has no partial success' },
      oversized: {
        unsupported:
          'S3 takes objects up to 5 GB in one PUT; max_object_bytes only rolls objects, and an event larger than ' +
          'it is written alone in its own object',
      },
      requests: () =>
        proxy.received
          .filter((r) => r.method === 'PUT' && r.url.includes('.ndjson.gz'))
          .map((r) => ({ ids: idsOf(gunzipSync(r.rawBody).toString('utf8')) })),
      stored: async () => (await server.readObjects(BUCKET)).flatMap((object) => idsOf(object.text)),
      async stop() {
        await proxy.close()
        await server.close()
      },
    }
  },
}
export default fixture
