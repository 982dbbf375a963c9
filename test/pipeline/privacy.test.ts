import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { type Input, withDefaults } from '../../src/config/defaults.ts'
import { Privacy } from '../../src/config/schema.ts'
import type { EnrichedEvent } from '../../src/event.ts'
import { dictionary, PROTECTED_FIELDS, unknownField } from '../../src/pipeline/dictionary.ts'
import type { PipelineProblem } from '../../src/pipeline/filter.ts'
import { anonymizeIp, compilePrivacy } from '../../src/pipeline/privacy.ts'
import { makeEvent } from '../fixtures/events.ts'

const SALT = 'a-salt-of-24-characters!'

/** A privacy block as written in the YAML, defaults filled in as the loader does. */
function compile(config: Input<typeof Privacy> = {}) {
  const problems: PipelineProblem[] = []
  const apply = compilePrivacy(
    withDefaults(Privacy, config),
    ['privacy'],
    (path, message) => problems.push({ path, message }),
    (path) => unknownField(dictionary(), path),
  )
  return { apply, problems }
}

function privacy(config: Input<typeof Privacy> = {}) {
  const { apply, problems } = compile(config)
  expect(problems).toEqual([])
  return apply ?? ((event: EnrichedEvent) => event)
}

const viewer = () =>
  makeEvent({
    client_ip: '203.0.113.77',
    user: { id: 'user-1029', anonymous_id: 'anon-7c1e52', consent: { analytics: true } },
  })

describe('privacy', () => {
  it('anonymizes IPv4 to /24 and IPv6 to /48, and rejects what is not an address', () => {
    expect(anonymizeIp('203.0.113.77')).toBe('203.0.113.0')
    expect(anonymizeIp('10.1.2.3')).toBe('10.1.2.0')
    expect(anonymizeIp('::ffff:192.0.2.128')).toBe('::ffff:192.0.2.0')
    expect(anonymizeIp('2001:db8:abcd:12:1:2:3:4')).toBe('2001:db8:abcd::')
    expect(anonymizeIp('2001:DB8:ABCD:0012::1')).toBe('2001:db8:abcd::')
    expect(anonymizeIp('2001:db8::1')).toBe('2001:db8::')
    expect(anonymizeIp('fe80::1%eth0')).toBe('fe80::')
    expect(anonymizeIp('::1')).toBe('::')
    expect(anonymizeIp('64:ff9b:1::192.0.2.33')).toBe('64:ff9b:1::')
    expect(anonymizeIp('not-an-ip')).toBeUndefined()
    expect(anonymizeIp('300.1.1.1')).toBeUndefined()
  })

  it('anonymizes client_ip by default, without touching the input', () => {
    const event = viewer()
    const out = privacy()(event)
    expect(out.client_ip).toBe('203.0.113.0')
    expect(event.client_ip).toBe('203.0.113.77')
    // An unparsable address is removed rather than passed on.
    expect(privacy()({ ...event, client_ip: 'garbage' })).not.toHaveProperty('client_ip')
  })

  it('drops or keeps client_ip on request', () => {
    expect(privacy({ ip: 'drop' })(viewer())).not.toHaveProperty('client_ip')
    expect(compile({ ip: 'keep', user_ids: 'keep' }).apply).toBeUndefined()
  })

  it('hashes user.id and user.anonymous_id with HMAC-SHA256 keyed by the salt', () => {
    const out = privacy({ user_ids: 'hash', user_id_salt: SALT })(viewer())
    const hmac = (id: string) => createHmac('sha256', SALT).update(id).digest('hex')
    expect(out.user).toEqual({
      id: hmac('user-1029'),
      anonymous_id: hmac('anon-7c1e52'),
      consent: { analytics: true },
    })
    const other = privacy({ user_ids: 'hash', user_id_salt: `${SALT}-other` })(viewer())
    expect((other.user as { id: string }).id).not.toBe(hmac('user-1029'))
    // Events without user ids pass as they are.
    expect(
      privacy({ user_ids: 'hash', user_id_salt: SALT })(makeEvent({ user: undefined })),
    ).not.toHaveProperty('user')
  })

  it('drops user ids and keeps the rest of the user group', () => {
    expect(privacy({ user_ids: 'drop' })(viewer()).user).toEqual({ consent: { analytics: true } })
  })

  it('requires a salt of 16+ characters to hash', () => {
    expect(compile({ user_ids: 'hash' }).problems).toEqual([
      { path: ['privacy', 'user_id_salt'], message: expect.stringMatching(/needs a user_id_salt/) },
    ])
    expect(compile({ user_ids: 'hash', user_id_salt: 'short' }).problems).toHaveLength(1)
  })

  it('keeps only allowed fields plus the identity, then removes denied ones', () => {
    const out = privacy({
      ip: 'keep',
      allow_fields: ['content', 'player.name', 'user.consent.analytics', 'page.title'],
      deny_fields: ['content.title'],
    })(viewer())
    const { event_id, type, ts, session_id, view_id, seq, received_at } = viewer()
    expect(Object.keys(out).sort()).toEqual([...PROTECTED_FIELDS, 'content', 'player', 'user'].sort())
    expect(out.player).toEqual({ name: 'hls.js' })
    expect(out.user).toEqual({ consent: { analytics: true } })
    expect(out.content).not.toHaveProperty('title')
    expect(out.content).toHaveProperty('stream_type', 'vod')
    expect([event_id, type, ts, session_id, view_id, seq, received_at].every((v) => v !== undefined)).toBe(
      true,
    )
  })

  it('reports unknown paths and refuses to deny identity fields', () => {
    expect(
      compile({ allow_fields: ['content.titel'], deny_fields: ['event_id', 'page.referer'] }).problems,
    ).toEqual([
      {
        path: ['privacy', 'allow_fields', 0],
        message: 'unknown field "content.titel" (did you mean "content.title"?)',
      },
      {
        path: ['privacy', 'deny_fields', 1],
        message: 'unknown field "page.referer" (did you mean "page.referrer"?)',
      },
      {
        path: ['privacy', 'deny_fields', 0],
        message: '"event_id" identifies the event and cannot be removed',
      },
    ])
  })
})
