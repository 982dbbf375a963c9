import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { connectorTypes } from '../../connectors/index.ts'
import { ConfigError, parseConfig } from '../../src/config/load.ts'
import { connectorConfig } from '../../src/config/schema.ts'
import type { ConnectorConfig, ConnectorInput } from '../../src/config/types.ts'
import type { EnrichedEvent } from '../../src/event.ts'
import {
  checkPipeline,
  compilePipeline,
  PipelineConfigError,
  type StageName,
} from '../../src/pipeline/compile-pipeline.ts'
import { viewHash } from '../../src/pipeline/sampling.ts'
import { STAGES } from '../../src/pipeline/stages.ts'
import { makeEvent } from '../fixtures/events.ts'

const SALT = 'salt-for-tests-0123456789'

const connector = (pipeline: Partial<ConnectorInput> = {}): ConnectorConfig =>
  connectorConfig({
    name: 'unit',
    type: 'webhook',
    settings: {},
    batching: { linger_ms: 5, max_in_flight: 1 },
    retry: {
      max_attempts: 1,
      max_elapsed_ms: 1000,
      initial_backoff_ms: 1,
      max_backoff_ms: 1,
      request_timeout_ms: 1000,
    },
    circuit_breaker: { failure_threshold: 5, open_ms: 1000 },
    max_buffered_records: 100,
    ...pipeline,
  })

function runner(pipeline: Partial<ConnectorInput>) {
  const compiled = compilePipeline(connector(pipeline))
  return (event: EnrichedEvent) => {
    let dropped: StageName | undefined
    const out = compiled.run(event, (stage) => {
      dropped = stage
    })
    return { out, dropped }
  }
}

const withConsent = (analytics: boolean | undefined, overrides: Record<string, unknown> = {}) =>
  makeEvent({
    user: analytics === undefined ? { id: 'user-1' } : { id: 'user-1', consent: { analytics } },
    ...overrides,
  })

describe('compiled pipeline', () => {
  it('lists only the stages the config activates, in the documented order', () => {
    expect(compilePipeline(connector()).stages).toEqual(['consent', 'privacy'])
    expect(compilePipeline(connector({ essential: true, privacy: { ip: 'keep' } })).stages).toEqual([])
    const full = compilePipeline(
      connector({
        sources: ['web'],
        filter: { field: 'type', ne: 'x' },
        sampling: { rate: 0.5 },
        segments: ['qos'],
        mapping: [{ drop: ['user_agent'] }],
        cap: { events_per_second: 10, action: 'drop' },
      }),
    )
    expect(full.stages).toEqual([...STAGES])
    expect(full.cap).toBeDefined()
  })

  it('routes by source, event_types and exclude_types', () => {
    const run = runner({
      sources: ['web', 'ios'],
      event_types: ['playing', 'heartbeat'],
      exclude_types: ['heartbeat'],
    })
    expect(run(makeEvent({ source: 'web', type: 'playing' })).out).not.toBeNull()
    expect(run(makeEvent({ source: 'ios', type: 'playing' })).out).not.toBeNull()
    expect(run(makeEvent({ source: 'tv', type: 'playing' })).dropped).toBe('routing')
    expect(run(makeEvent({ source: 'web', type: 'pause' })).dropped).toBe('routing')
    expect(run(makeEvent({ source: 'web', type: 'heartbeat' })).dropped).toBe('routing')
  })

  it('sends events without analytics consent to essential connectors only', () => {
    const normal = runner({})
    const strict = runner({ missing_consent: 'deny' })
    const essential = runner({ essential: true, missing_consent: 'deny' })
    expect(normal(withConsent(true)).out).not.toBeNull()
    expect(normal(withConsent(false)).dropped).toBe('consent')
    // Consent sent without analytics: true is not consent.
    expect(normal(makeEvent({ user: { consent: {} } })).dropped).toBe('consent')
    // Consent not reported at all: allowed unless missing_consent: deny.
    expect(normal(withConsent(undefined)).out).not.toBeNull()
    expect(normal(makeEvent({ user: undefined })).out).not.toBeNull()
    expect(strict(withConsent(undefined)).dropped).toBe('consent')
    expect(strict(withConsent(true)).out).not.toBeNull()
    for (const analytics of [true, false, undefined])
      expect(essential(withConsent(analytics)).out).not.toBeNull()
  })

  it('filters on business fields before segmentation removes them', () => {
    const run = runner({ segments: ['qos'], filter: { field: 'content.stream_type', eq: 'live' } })
    const live = makeEvent({
      type: 'buffer_start',
      buffer: { cause: 'stall' },
      content: { stream_type: 'live' },
    })
    const { out } = run(live)
    expect(out).not.toBeNull()
    expect(out).not.toHaveProperty('content')
    expect(run(makeEvent({ type: 'buffer_start', buffer: { cause: 'stall' } })).dropped).toBe('filter')
    expect(run(makeEvent({ type: 'pause', content: { stream_type: 'live' } })).dropped).toBe('segments')
  })

  it('samples after the filter, by view', () => {
    const run = runner({ sampling: { rate: 0.5 } })
    for (let i = 0; i < 50; i++) {
      const event = makeEvent()
      expect(run(event).dropped).toBe(viewHash(event.view_id) < 0.5 ? undefined : 'sampling')
    }
  })

  it('applies privacy before mapping, so mapping cannot copy raw ids or addresses past it', () => {
    const run = runner({
      privacy: { ip: 'anonymize', user_ids: 'hash', user_id_salt: SALT },
      mapping: [
        { rename: { from: 'client_ip', to: 'ip_address' } },
        { copy: { from: 'user.id', to: 'custom.uid' } },
      ],
    })
    const { out } = run(makeEvent({ client_ip: '198.51.100.23', user: { id: 'user-1' } }))
    const hashed = createHmac('sha256', SALT).update('user-1').digest('hex')
    expect(out).toMatchObject({ ip_address: '198.51.100.0', user: { id: hashed }, custom: { uid: hashed } })
    expect(out).not.toHaveProperty('client_ip')
  })

  it('never mutates the event it is given', () => {
    const event = makeEvent({ user: { id: 'u', consent: { analytics: true } } })
    const before = structuredClone(event)
    runner({
      segments: ['qos'],
      privacy: { ip: 'drop', user_ids: 'drop', deny_fields: ['player.name'] },
      mapping: [{ set: { field: 'player.name', value: 'x' } }],
    })(event)
    expect(event).toEqual(before)
  })

  it('changes only the top level in place when the caller owns the event, never a nested object', () => {
    const pipeline = compilePipeline(
      connector({
        privacy: { ip: 'anonymize', user_ids: 'hash', user_id_salt: SALT },
        mapping: [
          { set: { field: 'content.label', value: 'x' } },
          { rename: { from: 'user_agent', to: 'ua' } },
        ],
      }),
    )
    const event = makeEvent({ client_ip: '198.51.100.23', user: { id: 'user-1' } })
    const user = event.user
    const content = structuredClone(event.content)
    const out = pipeline.run(event, undefined, true)
    expect(out).toBe(event)
    expect(event.client_ip).toBe('198.51.100.0')
    expect(event).toHaveProperty('ua')
    expect(event).not.toHaveProperty('user_agent')
    // Nested objects may be shared with other holders: they were copied, not changed.
    expect(user).toEqual({ id: 'user-1' })
    expect(event.content).not.toBe(content)
    expect(out?.content).toMatchObject({ label: 'x' })
  })

  it('throws every problem at once from compilePipeline', () => {
    const bad = connector({
      filter: { field: 'player.nmae', regex: '[' },
      event_types: ['hearbeat'],
      segments: ['qoss' as never],
      cap: { action: 'drop' },
    })
    expect(() => compilePipeline(bad)).toThrow(PipelineConfigError)
    try {
      compilePipeline(bad)
    } catch (error) {
      expect((error as PipelineConfigError).problems.map((p) => p.path.join('/'))).toEqual([
        'event_types/0',
        'filter/field',
        'segments/0',
        'cap',
      ])
    }
  })
})

const yaml = (connectorYaml: string) => `
sources:
  - { name: web, write_key: web-key-000001 }
  - { name: ios, write_key: ios-key-000001 }
connectors:
  - name: partner
    type: webhook
    settings: { url: 'http://127.0.0.1:9/hook' }
${connectorYaml}`

describe('pipeline keys in the YAML config', () => {
  it('loads every key, fills the defaults, and checkPipeline finds nothing wrong', () => {
    const config = parseConfig(
      yaml(`    essential: false
    sources: [web]
    event_types: [buffer_start, buffer_end, milestone, heartbeat]
    exclude_types: [heartbeat]
    filter:
      and:
        - { field: content.stream_type, in: [live, low_latency_live] }
        - not: { field: buffer.cause, eq: seek }
        - { field: player.name, regex: '^(hls|shaka)', ignore_case: true }
    sampling: { rate: '0.5', by_type: { heartbeat: 0.01 } }
    segments: [qos, business]
    privacy: { user_ids: hash, user_id_salt: '\${SALT}', deny_fields: [page.referrer] }
    mapping:
      - rename_type: { from: milestone, to: First Quartile }
        when: { field: milestone.percent, eq: 25 }
      - template: { field: label, template: '{content.title} ({content.id})' }
    cap: { events_per_second: 500, daily_budget: 1000000, action: sample }
`),
      'test.yaml',
      connectorTypes,
      { SALT },
    )
    const partner = config.connectors[0] as ConnectorConfig
    expect(partner).toMatchObject({
      essential: false,
      missing_consent: 'allow',
      sampling: { rate: 0.5, seed: '' },
      privacy: { ip: 'anonymize', user_ids: 'hash', user_id_salt: SALT },
      cap: { events_per_second: 500, action: 'sample' },
    })
    expect(checkPipeline(config)).toEqual([])
    expect(compilePipeline(partner).stages).toContain('cap')
  })

  it('defaults to anonymized IPs and consent-aware routing for a connector without pipeline keys', () => {
    const config = parseConfig(yaml(''), 'test.yaml', connectorTypes)
    expect(config.connectors[0]).toMatchObject({
      essential: false,
      missing_consent: 'allow',
      privacy: { ip: 'anonymize', user_ids: 'keep' },
      sampling: { rate: 1, seed: '' },
    })
    expect(config.connectors[0]).not.toHaveProperty('cap')
    // A sampling rate of 1 keeps everything, so no sampling stage runs.
    expect(compilePipeline(config.connectors[0] as ConnectorConfig).stages).toEqual(['consent', 'privacy'])
  })

  it('rejects unknown and malformed keys through the schema', () => {
    const attempt = () =>
      parseConfig(
        yaml(`    sampling: { rat: 0.5 }
    segments: [qos, ads]
    privacy: { ip: hide }
    cap: { events_per_second: 0, action: queue }
    filter: { feild: type, eq: x }
`),
        'test.yaml',
        connectorTypes,
      )
    expect(attempt).toThrow(ConfigError)
    const messages = (() => {
      try {
        attempt()
      } catch (error) {
        return (error as ConfigError).problems.map((p) => `${p.path}: ${p.message}`)
      }
      return []
    })()
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/connectors\/0\/sampling\/rat: unknown key "rat" \(did you mean "rate"\?\)/),
        '/connectors/0/segments/1: must be one of: qos, business',
        '/connectors/0/privacy/ip: must be one of: anonymize, drop, keep',
        '/connectors/0/cap/action: must be one of: delay, sample, drop',
        expect.stringMatching(/^\/connectors\/0\/cap\/events_per_second: must be > 0/),
        expect.stringMatching(
          /^\/connectors\/0\/filter\/feild: unknown key "feild" \(did you mean "field"\?\)/,
        ),
      ]),
    )
  })

  it('the loader reports pipeline problems at their line and column, with paths from the config root', () => {
    const text = yaml(`    sources: [web, android]
    filter: { or: [ { field: player.name, regex: '(?<n' }, { field: buffer.casue, eq: stall } ] }
    privacy: { user_ids: hash }
    mapping:
      - rename: { from: seq, to: sequence }
`)
    let problems: ConfigError['problems'] = []
    try {
      parseConfig(text, 'test.yaml', connectorTypes)
    } catch (error) {
      problems = (error as ConfigError).problems
    }
    expect(problems.map((p) => [p.where, p.path, p.message])).toEqual([
      ['test.yaml:9:20', '/connectors/0/sources/1', 'unknown source "android"; sources: web, ios'],
      [
        'test.yaml:10:50',
        '/connectors/0/filter/or/0/regex',
        expect.stringMatching(/^invalid regular expression/),
      ],
      [
        'test.yaml:10:69',
        '/connectors/0/filter/or/1/field',
        'unknown field "buffer.casue" (did you mean "buffer.cause"?)',
      ],
      [
        'test.yaml:11:14',
        '/connectors/0/privacy/user_id_salt',
        expect.stringMatching(/needs a user_id_salt/),
      ],
      [
        'test.yaml:13:25',
        '/connectors/0/mapping/0/rename/from',
        '"seq" identifies the event and cannot be renamed',
      ],
    ])
  })
})
