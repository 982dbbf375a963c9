import { expect } from 'vitest'
import { createConfigAjv } from '../../src/config/ajv.ts'

/** Test support: settings validated and completed the way the config loader (src/config/load.ts) does. */
const ajv = createConfigAjv()

export function settingsFrom<S>(schema: Record<string, unknown>, input: Record<string, unknown>): S {
  const settings = structuredClone(input)
  const validate = ajv.compile(schema)
  if (!validate(settings)) throw new Error(`invalid settings: ${ajv.errorsText(validate.errors)}`)
  return settings as S
}

/** Whether the config loader would accept these settings. */
export function acceptsSettings(schema: Record<string, unknown>, input: Record<string, unknown>): boolean {
  return ajv.validate(schema, structuredClone(input)) as boolean
}

/** What `send` gives `n` items when the service refuses the credentials with `code` (and `status`). */
export function pausedForCredentials(n: number, status: number, code: string) {
  return Array.from({ length: n }, () =>
    expect.objectContaining({
      kind: 'paused',
      cause: 'credentials',
      status,
      reason: expect.stringMatching(`^${code}`),
    }),
  )
}
