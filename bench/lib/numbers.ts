/** A command-line flag that must be a positive number. */
export function positive(name: string, value: string | undefined): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${value}`)
  return n
}

export const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits
