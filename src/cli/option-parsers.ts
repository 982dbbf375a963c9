import { codes } from '../errors.ts'

/** A commander option parser for a whole number in [min, max]. */
export const wholeNumber =
  (option: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  (value: string): number => {
    const n = Number(value)
    if (Number.isInteger(n) && n >= min && n <= max) return n
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`
    throw new codes.FW_ERR_CLI_INVALID_OPTION(option, `a whole number ${range}`, value)
  }
