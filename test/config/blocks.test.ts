import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Static, Type } from '@sinclair/typebox'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { createConfigAjv } from '../../src/config/ajv.ts'
import { AuthHeaders, Batching, HttpUrl, StringEnum, Tls } from '../../src/config/blocks.ts'
import { Default, withDefaults } from '../../src/config/defaults.ts'
import { tlsConnectOptions } from '../../src/config/tls-options.ts'

const ajv = createConfigAjv()

const Settings = Type.Object(
  {
    url: HttpUrl('Endpoint.'),
    region: Default(StringEnum(['us', 'eu'], 'Region.'), 'us'),
    headers: Default(AuthHeaders, {}),
    tls: Type.Optional(Tls),
  },
  { additionalProperties: false },
)
const validate = ajv.compile(Settings)

describe('settings blocks', () => {
  it('leaves defaulted keys out of required, and types them as present', () => {
    expect(Settings.required).toEqual(['url'])
    expectTypeOf<Static<typeof Settings>['region']>().toEqualTypeOf<'us' | 'eu'>()
    expectTypeOf<Static<typeof Settings>['tls']>().toEqualTypeOf<Static<typeof Tls> | undefined>()
    const settings = { url: 'https://a.example.com', tls: {} }
    expect(validate(settings)).toBe(true)
    expect(settings).toEqual({
      url: 'https://a.example.com',
      region: 'us',
      headers: {},
      tls: { reject_unauthorized: true },
    })
  })

  it('fills the same defaults in code as the loader does', () => {
    expect(withDefaults(Settings, { url: 'https://a.example.com', tls: {} })).toEqual({
      url: 'https://a.example.com',
      region: 'us',
      headers: {},
      tls: { reject_unauthorized: true },
    })
    expect(withDefaults(Batching, { max_items: 10 })).toEqual({
      max_items: 10,
      linger_ms: 20,
      max_in_flight: 4,
    })
  })

  it('refuses what the blocks do not allow', () => {
    const errors = (value: object) =>
      validate(value) ? [] : (validate.errors ?? []).map((e) => e.instancePath)
    expect(errors({ url: 'ftp://a.example.com' })).toEqual(['/url'])
    expect(errors({ url: 'https://a', region: 'mars' })).toEqual(['/region'])
    expect(errors({ url: 'https://a', headers: { 'bad header': 'x' } })).toContain('/headers')
    expect(errors({ url: 'https://a', tls: { cert: 'cert.pem' } })).toEqual(['/tls'])
    expect(errors({ url: 'https://a', tls: { verify: false } })).toEqual(['/tls'])
  })
})

describe('tlsConnectOptions', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'

  it('takes PEM text as it is and reads file paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-tls-'))
    writeFileSync(join(dir, 'key.pem'), '-----BEGIN PRIVATE KEY-----\nfrom-file\n-----END PRIVATE KEY-----\n')
    const options = tlsConnectOptions({
      ca: pem,
      cert: pem,
      key: join(dir, 'key.pem'),
      reject_unauthorized: false,
      servername: 'es.internal',
    })
    expect(options).toEqual({
      ca: pem,
      cert: pem,
      key: '-----BEGIN PRIVATE KEY-----\nfrom-file\n-----END PRIVATE KEY-----\n',
      rejectUnauthorized: false,
      servername: 'es.internal',
    })
    expect(tlsConnectOptions(undefined)).toEqual({})
    expect(() => tlsConnectOptions({ ca: join(dir, 'missing.pem'), reject_unauthorized: true })).toThrow(
      /ENOENT/,
    )
  })
})
