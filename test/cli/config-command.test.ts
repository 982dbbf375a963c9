import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'

const dir = mkdtempSync(join(tmpdir(), 'fw-cli-'))
/** Runs the CLI as a child process; the tests run concurrently, each CLI start costing about a second of CPU. */
const framewire = (...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['bin/framewire.js', ...args],
      { encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : null) : 0
        resolve({ status, stdout, stderr })
      },
    )
  })

const config = join(dir, 'framewire.yaml')
writeFileSync(
  config,
  `sources:
  - name: web
    write_key: abcdefghijk
connectors:
  - name: amp
    type: amplitude
    settings: { api_key: super-secret-amp-key, region: eu }
  - name: seg
    type: segment
    settings: { write_key: segment-secret-key }
  - name: live-only
    type: webhook
    settings: { url: 'https://partner.example.com/hook' }
    filter: { field: content.stream_type, eq: live }
`,
)

// The dictionary's example, from a viewer with a pseudonymous id as a collector sends it.
const sample = join(dir, 'buffer_start.json')
writeFileSync(
  sample,
  JSON.stringify({
    ...JSON.parse(readFileSync('collectors-schema/examples/buffer_start.json', 'utf8')),
    user: { anonymous_id: 'anon-7f3c2a9e' },
  }),
)

const preview = (connector: string, event = sample) =>
  framewire('config', 'test', config, '--connector', connector, '--event', event)

it.concurrent('config validate accepts a valid file and points at the line and column of a bad one', async () => {
  const ok = await framewire('config', 'validate', config)
  expect(ok.status).toBe(0)
  expect(ok.stdout).toContain('valid (1 sources, 3 connectors)')

  const bad = join(dir, 'bad.yaml')
  writeFileSync(bad, 'sources:\n  - name: web\n    write_key: abcdefghijk\n    allowed_origin: ["*"]\n')
  const res = await framewire('config', 'validate', bad)
  expect(res.status).toBe(2)
  expect(res.stderr).toMatch(/^FW_ERR_CLI_CONFIG_INVALID: invalid config:\n/)
  expect(res.stderr).toContain(`${bad}:4:5 /sources/0/allowed_origin: unknown key "allowed_origin"`)
  expect(res.stderr).toContain('did you mean "allowed_origins"')
})

it.concurrent('config validate --allow-missing-env warns about unset variables and still checks everything else', async () => {
  const secrets = join(dir, 'secrets.yaml')
  writeFileSync(
    secrets,
    `sources:
  - name: web
    write_key: \${FW_TEST_UNSET_WRITE_KEY}
connectors:
  - name: amp
    type: amplitude
    settings: { api_key: "\${FW_TEST_UNSET_AMP_KEY}" }
    privacy: { user_ids: hash, user_id_salt: "\${FW_TEST_UNSET_SALT}" }
`,
  )
  const strict = await framewire('config', 'validate', secrets)
  expect(strict.status).toBe(2)
  expect(strict.stderr).toContain(
    `${secrets}:3:16 /sources/0/write_key: environment variable FW_TEST_UNSET_WRITE_KEY is not set`,
  )

  const lenient = await framewire('config', 'validate', '--allow-missing-env', secrets)
  expect(lenient.status).toBe(0)
  expect(lenient.stdout).toContain('valid (1 sources, 1 connectors)')
  expect(lenient.stderr.trim().split('\n')).toEqual([
    `warning: ${secrets}:3:16 /sources/0/write_key: environment variable FW_TEST_UNSET_WRITE_KEY is not set and has no default`,
    `warning: ${secrets}:7:26 /connectors/0/settings/api_key: environment variable FW_TEST_UNSET_AMP_KEY is not set and has no default`,
    `warning: ${secrets}:8:46 /connectors/0/privacy/user_id_salt: environment variable FW_TEST_UNSET_SALT is not set and has no default`,
  ])

  writeFileSync(
    secrets,
    `sources:\n  - name: web\n    write_key: \${FW_TEST_UNSET_WRITE_KEY}\n    origins: []\n`,
  )
  const stillBad = await framewire('config', 'validate', '--allow-missing-env', secrets)
  expect(stillBad.status).toBe(2)
  expect(stillBad.stderr).toContain(`${secrets}:4:5 /sources/0/origins: unknown key "origins"`)
  expect(stillBad.stderr).not.toContain('FW_TEST_UNSET_WRITE_KEY')
})

it.concurrent('config test prints the exact request with secrets masked, without touching the network', async () => {
  const res = await preview('amp')
  expect(res.status).toBe(0)
  const [requestLine, ...rest] = res.stdout.split('\n')
  expect(requestLine).toBe('POST https://api.eu.amplitude.com/2/httpapi')
  expect(res.stdout).not.toContain('super-secret-amp-key')
  const body = JSON.parse(rest.find((line) => line.startsWith('{')) ?? '{}')
  expect(body.api_key).toBe('***')
  expect(body.events[0]).toMatchObject({
    event_type: 'Video Buffer Start',
    insert_id: '8f14e45f-ceea-467f-a0e6-000000000011',
  })
})

it.concurrent('config test says when the connector would refuse the event, and why', async () => {
  const res = await preview('amp', 'collectors-schema/examples/buffer_start.json')
  expect(res.status).toBe(0)
  expect(res.stdout.trim()).toBe(
    'amp would not send this event, and would dead-letter it: no usable user.id or user.anonymous_id: Amplitude needs a user or a device id',
  )
})

it.concurrent('config test masks Basic auth, which carries the secret encoded', async () => {
  const res = await preview('seg')
  expect(res.status).toBe(0)
  expect(res.stdout).toContain('authorization: ***')
  expect(res.stdout).not.toContain(Buffer.from('segment-secret-key:').toString('base64'))
})

it.concurrent('config test applies the connector pipeline first', async () => {
  const res = await preview('live-only')
  expect(res.status).toBe(0)
  expect(res.stdout.trim()).toBe('live-only would not receive this event: dropped by its filter stage')
})

it.concurrent.each([
  [
    'a config file that is not there',
    ['config', 'validate', join(dir, 'missing.yaml')],
    `FW_ERR_CLI_FILE_UNREADABLE: cannot read the config file ${join(dir, 'missing.yaml')} (ENOENT); check the path`,
  ],
  [
    'a connector the config does not have',
    ['config', 'test', config, '--connector', 'ampl', '--event', 'collectors-schema/examples/heartbeat.json'],
    `FW_ERR_CLI_UNKNOWN_CONNECTOR: no connector named "ampl" in ${config}; its connectors: amp, seg, live-only`,
  ],
  [
    'the dead letters of a connector the config does not have',
    ['dlq', 'inspect', 'ampl', '--config', config],
    `FW_ERR_CLI_UNKNOWN_CONNECTOR: no connector named "ampl" in ${config}; its connectors: amp, seg, live-only`,
  ],
  [
    'a sample event that is not JSON',
    ['config', 'test', config, '--connector', 'amp', '--event', config],
    `FW_ERR_CLI_SAMPLE_NOT_JSON: the sample event ${config} is not JSON`,
  ],
  [
    'a port that is not one',
    ['kafka', 'status', '--port', '90x'],
    'FW_ERR_CLI_INVALID_OPTION: --port must be a whole number from 1 to 65534, not "90x"',
  ],
])(
  'the CLI answers %s with its error code, on one line, and exit status 1',
  async (_what, args, expected) => {
    const res = await framewire(...args)
    expect(res.stderr).toContain(expected)
    expect(res.stderr).not.toMatch(/\n\s+at /)
    expect(res.status).toBe(1)
  },
)

it.concurrent('config test names what is wrong with an invalid sample event', async () => {
  const sample = join(dir, 'bad-event.json')
  writeFileSync(sample, JSON.stringify({ type: 'heartbeat' }))
  const res = await framewire('config', 'test', config, '--connector', 'amp', '--event', sample)
  expect(res.status).toBe(1)
  expect(res.stderr).toMatch(
    new RegExp(`^FW_ERR_CLI_SAMPLE_INVALID: the sample event ${sample} is invalid: /\\w+ is required; `),
  )
})
