import { Writable } from 'node:stream'
import { pino } from 'pino'
import { expect, it } from 'vitest'
import { REDACT_PATHS } from '../../src/observability/logger.ts'

it('redacts write keys, API keys and auth headers from log lines', () => {
  const lines: string[] = []
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk))
      done()
    },
  })
  const log = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink)
  log.info({
    req: {
      headers: { authorization: 'Bearer live-key-1', 'x-framewire-key': 'live-key-2' },
      query: { key: 'k3' },
    },
    source: { name: 'web', write_key: 'live-key-4' },
    connector: { settings: { api_key: 'live-key-5' } },
  })
  const line = lines.join('')
  for (const secret of ['live-key-1', 'live-key-2', 'k3', 'live-key-4', 'live-key-5'])
    expect(line).not.toContain(secret)
  expect(line).toContain('[redacted]')
  expect(line).toContain('"name":"web"')
})
