import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { expect } from 'vitest'

/** Test support: settings validated and completed the way the config loader (src/config/load.ts) does. */
const ajv = new Ajv2020({
  allErrors: true,
  useDefaults: true,
  coerceTypes: true,
  strict: true,
  allowUnionTypes: true,
})
addFormats.default(ajv)

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
