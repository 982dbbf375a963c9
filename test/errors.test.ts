import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CLI_EXIT_CODES, codes, type ErrorCode } from '../src/errors.ts'

// As Fastify's test/internals/errors.test.js does for its docs/Reference/Errors.md: the catalogue and its
// page must list the same codes, both ways.
const page = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')
const [httpPart = '', cliPart = ''] = page.split('\n## CLI errors\n')
const rows = (part: string) =>
  new Map([...part.matchAll(/^\| `(FW_ERR_\w+)` +\| (\d+) +\|/gm)].map((m) => [m[1] as string, Number(m[2])]))
const httpRows = rows(httpPart)
const cliRows = rows(cliPart)
const isCli = (code: string) => code.startsWith('FW_ERR_CLI_')
const catalogue = Object.keys(codes) as ErrorCode[]

describe('the error catalogue and docs/errors.md', () => {
  it('has each constructor under its own code', () => {
    for (const key of catalogue) expect(new codes[key]().code).toBe(key)
  })

  it('documents every code of src/errors.ts, in its section, with its status or exit status', () => {
    for (const key of catalogue) {
      if (isCli(key)) expect(cliRows.get(key), key).toBe(CLI_EXIT_CODES[key] ?? 1)
      else expect(httpRows.get(key), key).toBe(new codes[key]().statusCode)
    }
  })

  it('documents no code that src/errors.ts does not have', () => {
    const documented = [...httpRows.keys(), ...cliRows.keys()]
    expect(documented.length).toBeGreaterThan(0)
    for (const code of documented) expect(catalogue, code).toContain(code)
    expect(new Set(documented).size).toBe(documented.length)
  })
})
