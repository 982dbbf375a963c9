import type { ContractFixture } from '../../test/contract/fixture.ts'
import { awsJsonError } from '../../test/stand-ins/aws-faults.ts'
import { startFirehoseStandIn } from '../../test/stand-ins/firehose.ts'

const KEYS = { access_key_id: 'AKIDFIREHOSECONTRACT', secret_access_key: 'firehose-contract-secret' }
const REGION = 'eu-west-1'
const STREAM = 'contract-events'

const idsOf = (texts: string[]) => texts.map((text) => JSON.parse(text).event_id as string)

const fixture: ContractFixture = {
  async start() {
    const s = await startFirehoseStandIn({
      accessKeyId: KEYS.access_key_id,
      secretAccessKey: KEYS.secret_access_key,
      region: REGION,
      streams: [STREAM],
    })
    return {
      settings: { ...KEYS, region: REGION, delivery_stream_name: STREAM, endpoint: s.endpoint },
      // https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html#API_PutRecordBatch_Errors:
      // over the stream's throughput, ServiceUnavailableException (a server fault) "Back off and retry"; the wait
      // rides in x-amz-retry-after.
      throttle: (seconds) =>
        s.script.failNext(
          1,
          500,
          awsJsonError('ServiceUnavailableException', 'Slow down.', { retryAfterSeconds: seconds }),
        ),
      // https://docs.aws.amazon.com/firehose/latest/APIReference/CommonErrors.html: ServiceUnavailable, 503.
      unavailable: () =>
        s.script.failNext(1, 503, awsJsonError('ServiceUnavailable', 'Service is temporarily unavailable.')),
      reset: () => s.script.resetNext(1),
      // What the stand-in answers a key it does not know (it checks SigV4 like the service).
      refuseCredentials: () =>
        s.script.failNext(
          1,
          400,
          awsJsonError(
            'UnrecognizedClientException',
            'The security token included in the request is invalid.',
          ),
        ),
      partial: {
        fail: (ids) =>
          s.failNextRecords(ids.length, { where: (text) => ids.includes(JSON.parse(text).event_id) }),
        failed: 'retry',
      },
      requests: () => s.requestedTexts().map((texts) => ({ ids: idsOf(texts) })),
      stored: async () => idsOf(s.texts(STREAM)),
      stop: () => s.close(),
    }
  },
}
export default fixture
