import { type Static, Type } from '@sinclair/typebox'
import { ConnectorSettings, HttpUrl } from '../common/settings.ts'

/** Settings shared by every AWS connector (kinesis, firehose, s3), declared once. */
export const awsSettingsProperties = {
  region: Type.String({
    pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]+$',
    description: 'AWS region of the destination, e.g. eu-west-1.',
  }),
  endpoint: Type.Optional(
    HttpUrl(
      'Endpoint URL replacing the regional one: VPC or FIPS endpoints, or a local server (kinesalite, s3rver) in tests.',
    ),
  ),
  access_key_id: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'Access key id of static credentials; interpolate it from the environment. Leave unset to use the SDK default ' +
        'credential chain (environment, shared config/SSO profile, web identity, ECS/EC2 instance roles).',
    }),
  ),
  secret_access_key: Type.Optional(
    Type.String({ minLength: 1, description: 'Secret access key going with access_key_id.' }),
  ),
  session_token: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'Session token of temporary static credentials (with access_key_id).',
    }),
  ),
}

/** Schema options of every AWS settings object: closed, and static credentials come as a pair. */
export const awsSchemaOptions = {
  additionalProperties: false,
  dependentRequired: {
    access_key_id: ['secret_access_key'],
    secret_access_key: ['access_key_id'],
    session_token: ['access_key_id'],
  },
} as const

const awsSettings = ConnectorSettings(awsSettingsProperties, awsSchemaOptions)
export type AwsSettings = Static<typeof awsSettings>
