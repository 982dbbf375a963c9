import { describe, expect, it } from 'vitest'
import { connectorTypes } from '../../connectors/index.ts'
import { ConfigError, parseConfig } from '../../src/config/load.ts'

const parse = (yaml: string, env: NodeJS.ProcessEnv = {}) => parseConfig(yaml, 'fw.yaml', connectorTypes, env)
const problemsOf = (yaml: string, env: NodeJS.ProcessEnv = {}) => {
  try {
    parse(yaml, env)
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  throw new Error('expected a ConfigError')
}

describe('config loading', () => {
  it('applies defaults and interpolates ${ENV} and ${ENV:-default} in string values only', () => {
    const config = parse(
      'ingest: { port: "${PORT:-9000}" }\nsources:\n  - name: web\n    write_key: ${KEY}\n',
      { KEY: 'secret-from-env' },
    )
    expect(config.ingest.port).toBe(9000)
    expect(config.sources[0]).toEqual({ name: 'web', write_key: 'secret-from-env', allowed_origins: ['*'] })
    expect(config.topics.events).toBe('fw.events.v1')
    expect(config.produce.linger_ms).toBe(5)
  })

  it('does not let an environment value inject YAML structure', () => {
    const config = parse('sources:\n  - name: web\n    write_key: ${KEY}\n', { KEY: 'abcdefgh\nevil: true' })
    expect(config.sources[0]?.write_key).toBe('abcdefgh\nevil: true')
  })

  it('points at file:line:col with a did-you-mean for an unknown key', () => {
    const problems = problemsOf(
      'sources:\n  - name: web\n    write_key: abcdefghij\n    allowed_origin: ["*"]\n',
    )
    expect(problems).toEqual([
      {
        where: 'fw.yaml:4:5',
        path: '/sources/0/allowed_origin',
        message: expect.stringContaining('did you mean "allowed_origins"'),
      },
    ])
  })

  it('reports a missing variable and a bad type, each once, at the value', () => {
    const yaml = `ingest: { port: nope }
sources:
  - name: a
    write_key: \${MISSING}
`
    const problems = problemsOf(yaml)
    expect(problems.map((p) => [p.where, p.path])).toEqual([
      ['fw.yaml:4:16', '/sources/0/write_key'],
      ['fw.yaml:1:17', '/ingest/port'],
    ])
    expect(problems[0]?.message).toMatch(/MISSING is not set/)
    expect(problems[1]?.message).toMatch(/must be integer/)
  })

  it('rejects two sources sharing a write key without echoing the key', () => {
    const problems = problemsOf(
      'sources:\n  - { name: b, write_key: same-key-123 }\n  - { name: c, write_key: same-key-123 }\n',
    )
    expect(problems).toEqual([
      { where: 'fw.yaml:3:27', path: '/sources/1/write_key', message: 'same write key as source "b"' },
    ])
    expect(JSON.stringify(problems)).not.toContain('same-key-123')
  })

  it('reports YAML syntax errors with their position', () => {
    const problems = problemsOf('sources: [\n  { name: a\n')
    expect(problems[0]?.where).toMatch(/^fw\.yaml:\d+:\d+$/)
  })
})

describe('connector pipeline config', () => {
  const withConnector = (body: string) =>
    `sources:\n  - name: web\n    write_key: abcdefghij\nconnectors:\n  - name: partner\n    type: webhook\n    settings: { url: 'https://partner.example.com/hook' }\n${body}`

  it('suggests the right key for a typo deep inside a filter', () => {
    const problems = problemsOf(
      withConnector('    filter:\n      and:\n        - { field: buffer.cause, eqq: stall }\n'),
    )
    expect(problems[0]?.path).toBe('/connectors/0/filter/and/0/eqq')
    expect(problems[0]?.message).toContain('did you mean "eq"')
  })

  it('reports a bad regex and an unknown field path at their place in the file', () => {
    const problems = problemsOf(
      withConnector(
        '    filter:\n      or:\n        - { field: player.name, regex: "([a-z" }\n        - { field: content.titel, exists: true }\n',
      ),
    )
    expect(problems.map((p) => p.path)).toEqual([
      '/connectors/0/filter/or/0/regex',
      '/connectors/0/filter/or/1/field',
    ])
    expect(problems[0]?.where).toMatch(/^fw\.yaml:10:\d+$/)
    expect(problems[1]?.message).toMatch(/content\.title/)
  })
})
