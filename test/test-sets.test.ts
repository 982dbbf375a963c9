import { globSync } from 'node:fs'
import { expect, it } from 'vitest'
import all from '../vitest.config.ts'
import unit from '../vitest.unit.config.ts'
import { integrationFiles } from './integration-files.ts'

const files = (patterns: string[]) => new Set(patterns.flatMap((pattern) => globSync(pattern)))

it('every test file runs in npm test; the unit set is all of them but the integration files', () => {
  const every = files(all.test?.include ?? [])
  const integration = files(integrationFiles)
  expect(every.size).toBeGreaterThan(0)
  // A stale entry (a moved or renamed file) would quietly let that file into the unit run.
  for (const pattern of integrationFiles) expect(globSync(pattern), pattern).not.toEqual([])
  expect([...integration].filter((file) => !every.has(file))).toEqual([])
  expect(unit.test?.include).toEqual(all.test?.include)
  expect(unit.test?.exclude).toEqual(expect.arrayContaining(integrationFiles))
  expect(unit.test?.globalSetup).toEqual([])
})
