/** A command-line flag that must be a positive number. */
export function positive(name: string, value: string | undefined): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${value}`)
  return n
}

export const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits

/** Bytes as MiB with one decimal; null when unknown. */
export const mb = (bytes: number | undefined) => (bytes === undefined ? null : round(bytes / 2 ** 20, 1))

/** Seconds as milliseconds; null when unknown. */
export const ms = (seconds: number | undefined, digits = 1) =>
  seconds === undefined ? null : round(seconds * 1000, digits)

/** a ÷ b, or null when either is missing or b is 0. */
export const ratio = (a: number | null | undefined, b: number | null | undefined, digits = 2) =>
  a == null || b == null || b === 0 ? null : round(a / b, digits)
