import type { SdkCall } from '../../src/worker/connector.ts'
import type { AwsSettings } from './settings.ts'

/**
 * The planned SDK call of an AWS connector (`plan`): the command's input exactly as `send` builds it, with
 * blobs shown as the UTF-8 text they carry (the SDK base64-encodes them on the wire). No client is created.
 */
export function awsCall(
  service: 'kinesis' | 'firehose' | 's3',
  operation: string,
  settings: AwsSettings,
  resource: string,
  params: unknown,
): SdkCall {
  const endpoint = settings.endpoint ?? `the ${settings.region} regional endpoint`
  return {
    kind: 'sdk',
    client: `@aws-sdk/client-${service}`,
    operation,
    target: `${resource} via ${endpoint}`,
    params: blobsAsText(params),
  }
}

function blobsAsText(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8')
  if (Array.isArray(value)) return value.map(blobsAsText)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, blobsAsText(v)]))
  }
  return value
}
