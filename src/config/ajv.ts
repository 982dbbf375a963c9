import { Ajv2020, type Options } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'

/** The ajv the loader validates the config and each connector's settings with. */
export function createConfigAjv(options: Options = {}): Ajv2020 {
  // Interpolated values are strings; coercion lets `port: ${PORT}` be a number.
  const ajv = new Ajv2020({
    allErrors: true,
    useDefaults: true,
    coerceTypes: true,
    strict: true,
    allowUnionTypes: true,
    ...options,
  })
  addFormats.default(ajv)
  return ajv
}
