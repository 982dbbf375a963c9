import type { ConnectorDefinition } from '../src/worker/connector.ts'
import amplitude from './amplitude/index.ts'
import datadog from './datadog/index.ts'
import webhook from './webhook/index.ts'

/**
 * Every connector type Framewire ships, by `type` (the `type:` of a connector in the YAML config).
 * Settings are validated against each definition's `settingsSchema` before the runtime uses them, so the
 * map is typed loosely here.
 */
// biome-ignore lint/suspicious/noExplicitAny: heterogeneous registry; settings are checked by settingsSchema.
export type AnyConnectorDefinition = ConnectorDefinition<any, any>

export const connectorTypes: Record<string, AnyConnectorDefinition> = {
  [amplitude.type]: amplitude,
  [datadog.type]: datadog,
  [webhook.type]: webhook,
}
