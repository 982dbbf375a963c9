import { Type } from '@sinclair/typebox'
import { expect, it } from 'vitest'
import { previewRequests } from '../../src/cli/request-preview.ts'
import { AuthHeaders, HttpUrl } from '../../src/config/blocks.ts'
import { Default, withDefaults } from '../../src/config/defaults.ts'
import { connectorConfig } from '../../src/config/schema.ts'
import type { AnyConnector } from '../../src/worker/connector-worker.ts'
import { defineHttpConnector } from '../../src/worker/http-connector.ts'
import { makeEvent } from '../fixtures/events.ts'

const settingsSchema = Type.Object(
  {
    url: HttpUrl('Where to send.'),
    headers: Default(AuthHeaders, {}),
    label: Default(Type.String({ description: 'Not a secret.' }), 'plain-label-value'),
  },
  { additionalProperties: false },
)

const echo = defineHttpConnector<{ url: string; headers: Record<string, string>; label: string }, unknown>({
  type: 'echo',
  description: 'Posts each event with the configured headers.',
  settingsSchema,
  limits: () => ({ maxItems: 1, maxBytes: 1_000_000 }),
  transform: (event) => event,
  request: (items, settings) => ({
    url: settings.url,
    headers: { ...settings.headers, 'x-label': settings.label },
    body: JSON.stringify(items[0]?.record),
  }),
})

it('config test masks the values of AuthHeaders, whatever the header is called', async () => {
  const config = connectorConfig({
    name: 'echo',
    type: 'echo',
    settings: withDefaults(settingsSchema, {
      url: 'https://partner.example.com/in',
      headers: { 'X-Partner-Auth': 'partner-secret-value', Authorization: 'Bearer other-secret' },
    }),
  })
  const preview = await previewRequests(echo as unknown as AnyConnector, config, makeEvent(), [])
  if (!('calls' in preview)) throw new Error('expected a request')
  const [request] = preview.calls
  expect(request?.headers['x-partner-auth']).toBe('***')
  expect(request?.headers.authorization).toBe('***')
  expect(request?.headers['x-label']).toBe('plain-label-value')
  expect(JSON.stringify(preview)).not.toContain('partner-secret-value')
})
