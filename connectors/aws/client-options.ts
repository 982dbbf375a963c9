import { NodeHttpHandler } from '@smithy/node-http-handler'
import type { AwsSettings } from './settings.ts'

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
