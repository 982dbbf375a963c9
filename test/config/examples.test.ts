import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { connectorTypes } from '../../connectors/index.ts'
import { parseConfig } from '../../src/config/load.ts'

const files = readdirSync('examples').filter((f) => f.endsWith('.yaml'))
// Stand-ins for the secrets the examples read from the environment, each in the shape the vendor uses.
const env: NodeJS.ProcessEnv = {
  WEB_WRITE_KEY: 'web-write-key-example',
  TV_WRITE_KEY: 'tv-write-key-example',
  MOBILE_WRITE_KEY: 'mobile-write-key-example',
  AMPLITUDE_API_KEY: 'amplitude-api-key',
  ANALYTICS_USER_ID_SALT: 'example-salt-0123456789',
  MIXPANEL_PROJECT_ID: '1234567',
  MIXPANEL_SA_USERNAME: 'framewire.1234.mp-service-account',
  MIXPANEL_SA_SECRET: 'mixpanel-secret',
  CDN_PARTNER_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
  DD_API_KEY: 'datadog-api-key',
}

describe('examples/', () => {
  it('holds the typical set-ups', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'analytics-only.yaml',
        'qos-cdn-partner.yaml',
        'warehouse-and-analytics.yaml',
        'framewire.yaml',
      ]),
    )
  })

  it.each(files)('%s is a valid config', (file) => {
    const path = `examples/${file}`
    const config = parseConfig(readFileSync(path, 'utf8'), path, connectorTypes, env)
    expect(config.sources.length).toBeGreaterThan(0)
  })

  it('framewire.yaml (npm start) needs nothing but Node.js: embedded bus, no Redis, offline destinations', () => {
    const path = 'examples/framewire.yaml'
    const config = parseConfig(readFileSync(path, 'utf8'), path, connectorTypes, {})
    expect(config.bus).toMatchObject({ type: 'embedded', path: 'framewire-data/bus.db' })
    expect(config.redis.url).toBe('')
    expect(config.connectors.map((c) => [c.type, c.settings.path ?? c.settings.url])).toEqual([
      ['file', 'framewire-data/events.ndjson'],
      ['webhook', 'http://127.0.0.1:8099/hook'],
    ])
  })
})
