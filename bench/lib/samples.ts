import { round } from './numbers.ts'

/**
 * Exact latency samples: every value is kept (with the wall time it was taken at), so quantiles over any
 * window are exact, not estimated from buckets.
 */

export interface ExactSummary {
  count: number
  mean: number | null
  p50: number | null
  p90: number | null
  p99: number | null
  p999: number | null
  max: number | null
}

/** Nearest-rank quantile of sorted values. */
function quantileOfSorted(sorted: Float64Array, q: number): number {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank] as number
}

export function summarise(values: Float64Array): ExactSummary {
  if (values.length === 0)
    return { count: 0, mean: null, p50: null, p90: null, p99: null, p999: null, max: null }
  const sorted = values.slice().sort()
  let sum = 0
  for (const v of sorted) sum += v
  return {
    count: sorted.length,
    mean: round(sum / sorted.length, 2),
    p50: round(quantileOfSorted(sorted, 0.5), 2),
    p90: round(quantileOfSorted(sorted, 0.9), 2),
    p99: round(quantileOfSorted(sorted, 0.99), 2),
    p999: round(quantileOfSorted(sorted, 0.999), 2),
    max: round(sorted[sorted.length - 1] as number, 2),
  }
}

/** Values with the wall time (epoch ms) each was taken at, in growable typed arrays. */
export class TimedSamples {
  #at = new Float64Array(1 << 16)
  #value = new Float64Array(1 << 16)
  #count = 0

  get count(): number {
    return this.#count
  }

  add(at: number, value: number): void {
    if (this.#count === this.#at.length) {
      const at2 = new Float64Array(this.#at.length * 2)
      const value2 = new Float64Array(this.#at.length * 2)
      at2.set(this.#at)
      value2.set(this.#value)
      this.#at = at2
      this.#value = value2
    }
    this.#at[this.#count] = at
    this.#value[this.#count] = value
    this.#count++
  }

  clear(): void {
    this.#count = 0
  }

  /** Every value, in the order added. */
  all(): Float64Array {
    return this.#value.subarray(0, this.#count)
  }

  /** The values taken in [from, to). */
  between(from: number, to: number): Float64Array {
    const out = new Float64Array(this.#count)
    let n = 0
    for (let i = 0; i < this.#count; i++) {
      const at = this.#at[i] as number
      if (at >= from && at < to) out[n++] = this.#value[i] as number
    }
    return out.subarray(0, n)
  }

  /** Exact summary over [from, to), plus the same over consecutive slices of `sliceMs` (to see a trend). */
  window(from: number, to: number, sliceMs: number): { all: ExactSummary; slices: SliceSummary[] } {
    const slices: SliceSummary[] = []
    for (let start = from; start < to; start += sliceMs) {
      const end = Math.min(to, start + sliceMs)
      const s = summarise(this.between(start, end))
      slices.push({
        from_s: round((start - from) / 1000, 1),
        count: s.count,
        p50: s.p50,
        p99: s.p99,
        max: s.max,
      })
    }
    return { all: summarise(this.between(from, to)), slices }
  }
}

export interface SliceSummary {
  /** Seconds into the window where the slice begins. */
  from_s: number
  count: number
  p50: number | null
  p99: number | null
  max: number | null
}
