import type { ContractFixture } from '../../test/contract/fixture.ts'
import { awsJsonError } from '../../test/stand-ins/aws-faults.ts'
import { startKinesalite, startKinesisProxy, TEST_AWS } from './testing.ts'

const STREAM = 'contract-events'

/** kinesalite behind the fault proxy, which answers faults with Kinesis's own error shapes. */
const fixture: ContractFixture = {
  async start() {
    const server = await startKinesalite()
    await server.createStream(STREAM, 2)
    const proxy = await startKinesisProxy(server.endpoint)
    const { script } = proxy
    return {
      settings: { ...TEST_AWS, stream_name: STREAM, endpoint: proxy.url },
      // https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html#API_PutRecords_Errors:
      // ProvisionedThroughputExceededException, HTTP 400; the wait rides in x-amz-retry-after.
      throttle: (seconds) =>
        script.failNext(
          1,
          400,
          awsJsonError('ProvisionedThroughputExceededException', `Rate exceeded for stream ${STREAM}`, {
            retryAfterSeconds: seconds,
          }),
        ),
      // https://docs.aws.amazon.com/kinesis/latest/APIReference/CommonErrors.html: InternalFailure, HTTP 500.
      unavailable: () => script.failNext(1, 500, awsJsonError('InternalFailure', 'Internal Service Failure')),
      reset: () => script.resetNext(1),
      // Same page: AccessDeniedException is HTTP 400 (the code, not the status, says what it is).
      refuseCredentials: () =>
        script.failNext(
          1,
          400,
          awsJsonError(
            'AccessDeniedException',
            `User: arn:aws:iam::123456789012:user/framewire is not authorized to perform: kinesis:PutRecords on resource: arn:aws:kinesis:us-east-1:123456789012:stream/${STREAM}`,
          ),
        ),
      partial: {
        fail: (ids) =>
          proxy.failNextRecords(({ data }) =>
            ids.includes(JSON.parse(data).event_id) ? 'ProvisionedThroughputExceededException' : undefined,
          ),
        failed: 'retry',
      },
      requests: () => proxy.requestedIds().map((ids) => ({ ids })),
      stored: async () => (await server.readStream(STREAM)).map((r) => JSON.parse(r.data).event_id as string),
      async stop() {
        await proxy.close()
        await server.close()
      },
    }
  },
}
export default fixture
