import { NodeHttpHandler } from '@smithy/node-http-handler'
import { httpUrlSetting } from '../common/settings.ts'

/** Settings shared by every AWS connector (kinesis, firehose, s3). */
export interface AwsSettings {
  region: string
  endpoint?: string
  access_key_id?: string
  secret_access_key?: string
  session_token?: string
}

export const awsSettingsProperties = {
  region: {
    type: 'string',
    pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]+$',
    description: 'AWS region of the destination, e.g. eu-west-1.',
  },
  endpoint: httpUrlSetting(
    'Endpoint URL replacing the regional one: VPC or FIPS endpoints, or a local server (kinesalite, s3rver) in tests.',
  ),
  access_key_id: {
    type: 'string',
    minLength: 1,
    description:
      'Access key id of static credentials; interpolate it from the environment. Leave unset to use the SDK default ' +
      'credential chain (environment, shared config/SSO profile, web identity, ECS/EC2 instance roles).',
  },
  secret_access_key: {
    type: 'string',
    minLength: 1,
    description: 'Secret access key going with access_key_id.',
  },
  session_token: {
    type: 'string',
    minLength: 1,
    description: 'Session token of temporary static credentials (with access_key_id).',
  },
} as const

/** Static credentials come as a pair (plus an optional session token). */
export const awsCredentialRules = {
  dependentRequired: {
    access_key_id: ['secret_access_key'],
    secret_access_key: ['access_key_id'],
    session_token: ['access_key_id'],
  },
} as const

/** A socket that does not connect within this time fails the attempt; the runtime then retries. */
const CONNECT_TIMEOUT_MS = 5_000

/**
 * Options for an SDK v3 client (KinesisClient, FirehoseClient, S3Client), created once per connector
 * instance in `open`.
 */
export function awsClientConfig(settings: AwsSettings) {
  const { access_key_id: accessKeyId, secret_access_key: secretAccessKey, session_token } = settings
  return {
    region: settings.region,
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    ...(accessKeyId && secretAccessKey
      ? {
          credentials: {
            accessKeyId,
            secretAccessKey,
            ...(session_token === undefined ? {} : { sessionToken: session_token }),
          },
        }
      : {}),
    // The runtime owns retries, backoff and the circuit breaker; the SDK must not retry on its own.
    maxAttempts: 1,
    // HTTP/1.1 with keep-alive. KinesisClient defaults to HTTP/2 with a new session per request
    // (aws-sdk-js-v3#8279), which HTTP/1.1 servers such as kinesalite do not speak.
    requestHandler: new NodeHttpHandler({ connectionTimeout: CONNECT_TIMEOUT_MS }),
  }
}
