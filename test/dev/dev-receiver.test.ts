import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { settingsFrom } from '../../connectors/aws/testing.ts'
import webhook, { settingsSchema, type WebhookSettings } from '../../connectors/webhook/index.ts'
import { type DevReceiver, startDevReceiver } from '../../src/dev/dev-receiver.ts'
import { makeView } from '../fixtures/events.ts'
import { makeBatch, makeContext, standInSuite } from '../fixtures/send-context.ts'

const secret = () => `whsec_${randomBytes(32).toString('base64')}`

describe('dev receiver', () => {
  let receiver: DevReceiver
  const suite = standInSuite(() => receiver)
  const send = (settings: WebhookSettings) =>
    webhook.send(makeBatch(webhook, settings, makeView(4)), makeContext(settings, suite.agent))
  // The connector's defaults, filled the way the config loader fills them.
  const settings = (overrides: { secret?: string }) =>
    settingsFrom<WebhookSettings>(settingsSchema, { url: receiver.url, ...overrides })

  it('accepts batches signed with the trusted secret and refuses others with 401', async () => {
    receiver = await startDevReceiver({ host: '127.0.0.1', port: 0, log: pino({ level: 'silent' }) })
    const trusted = secret()
    receiver.trust(trusted)

    expect(await send(settings({ secret: trusted }))).toEqual(Array(4).fill({ kind: 'delivered' }))
    const forged = await send(settings({ secret: secret() }))
    expect(forged[0]).toMatchObject({ kind: 'paused', cause: 'credentials', status: 401 })
    const unsigned = await send(settings({}))
    expect(unsigned[0]).toMatchObject({ kind: 'paused', cause: 'credentials', status: 401 })
    expect(receiver.counts).toEqual({ requests: 1, events: 4, refused: 2 })
  })
})
