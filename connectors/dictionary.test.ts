import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EnrichedEvent } from '../src/event.ts'
import { SKIP } from '../src/worker/connector.ts'
import { makeAgent, makeBatch, makeContext } from '../test/fixtures/send-context.ts'
import { settingsWithDefaults } from '../test/fixtures/settings.ts'
import { startAmplitudeStandIn } from '../test/stand-ins/amplitude.ts'
import { startDatadogStandIn } from '../test/stand-ins/datadog.ts'
import { startWebhookStandIn } from '../test/stand-ins/webhook.ts'
import amplitude, { settingsSchema as amplitudeSettings } from './amplitude/index.ts'
import datadog, { settingsSchema as datadogSettings } from './datadog/index.ts'
import webhook from './webhook/index.ts'

// Every example event of the data dictionary (collectors-schema/examples) goes through each connector and is
// accepted by each stand-in: the connectors keep up with the dictionary as it evolves.

const EXAMPLES = fileURLToPath(new URL('../collectors-schema/examples/', import.meta.url))

function enrichedExamples(): EnrichedEvent[] {
  const now = Date.now()
  return readdirSync(EXAMPLES)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file, i) => {
      const event = JSON.parse(readFileSync(EXAMPLES + file, 'utf8')) as EnrichedEvent
      // As ingest would enrich it, with a recent time so Datadog's 18 h window accepts it, from a viewer
      // with a pseudonymous id as collectors send it (Amplitude needs a device id).
      return {
        ...event,
        user: { ...(event.user as object | undefined), anonymous_id: 'anon-example-viewer' },
        ts_corrected: now - 60_000 + i,
        received_at: now - 59_000 + i,
        source: 'web-player',
        ingest_node: 'fw-ingest-1',
        client_ip: '203.0.113.0',
      }
    })
}

const events = enrichedExamples()
const agent = makeAgent()
afterAll(() => agent.close())

describe('data dictionary examples', () => {
  it('exist', () => {
    expect(events.length).toBeGreaterThanOrEqual(20)
  })

  describe('amplitude', () => {
    const key = 'amp-dictionary-key'
    let s: Awaited<ReturnType<typeof startAmplitudeStandIn>>
    beforeAll(async () => {
      s = await startAmplitudeStandIn({ apiKey: key })
    })
    afterAll(() => s.close())

    it('maps every example and Amplitude accepts them all', async () => {
      const config = settingsWithDefaults(amplitudeSettings, { api_key: key, server_url: s.endpoint })
      for (const event of events) {
        const record = amplitude.transform(event, config)
        if (record === SKIP) throw new Error(`${event.type} skipped`)
        expect(record.event_type).toMatch(/^Video /)
        expect(Number.isInteger(record.time)).toBe(true)
        expect(record.insert_id).toBe(event.event_id)
        expect(record.device_id ?? record.user_id).toBeTruthy()
      }
      const outcomes = await amplitude.send(makeBatch(amplitude, config, events), makeContext(config, agent))
      expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true)
      expect(s.uniqueCount()).toBe(events.length)
    })
  })

  describe('datadog', () => {
    const key = 'dd-dictionary-key'
    let s: Awaited<ReturnType<typeof startDatadogStandIn>>
    beforeAll(async () => {
      s = await startDatadogStandIn({ apiKey: key })
    })
    afterAll(() => s.close())

    it('maps every example and Datadog accepts them all', async () => {
      const config = settingsWithDefaults(datadogSettings, { api_key: key, url: s.endpoint })
      for (const event of events) {
        const log = datadog.transform(event, config)
        if (log === SKIP) throw new Error(`${event.type} skipped`)
        expect(log.ddtags).toContain(`event_type:${event.type}`)
        expect(log.message.startsWith(event.type)).toBe(true)
        expect(log.event_id).toBe(event.event_id)
      }
      const outcomes = await datadog.send(makeBatch(datadog, config, events), makeContext(config, agent))
      expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true)
      expect(s.uniqueCount()).toBe(events.length)
      const error = s.logs.find((l) => l.log.event_type === undefined && l.log.type === 'error')?.log
      expect(error?.status).toBe('warn') // the example error is not fatal
    })
  })

  describe('webhook', () => {
    let s: Awaited<ReturnType<typeof startWebhookStandIn>>
    const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`
    beforeAll(async () => {
      s = await startWebhookStandIn({ secret })
    })
    afterAll(() => s.close())

    it('delivers every example unchanged', async () => {
      const config = {
        url: s.endpoint,
        secret,
        headers: {},
        timeout_ms: 5_000,
        max_events: 500,
        max_body_bytes: 1_000_000,
      }
      const outcomes = await webhook.send(makeBatch(webhook, config, events), makeContext(config, agent))
      expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true)
      expect(s.events.map((e) => e.event)).toEqual(events)
    })
  })
})
