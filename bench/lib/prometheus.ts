/** Just enough of the Prometheus text format to diff histograms and counters between two scrapes. */

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = LINE.exec(line)
    if (!match?.[1] || match[3] === undefined) continue
    const labels: Record<string, string> = {}
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) {
      if (key !== undefined && value !== undefined) labels[key] = value
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) })
  }
  return samples
}

type LabelFilter = Record<string, string>

function matches(sample: Sample, name: string, filter: LabelFilter): boolean {
  if (sample.name !== name) return false
  return Object.entries(filter).every(([k, v]) => sample.labels[k] === v)
}

/** Sum of the samples named `name` whose labels include `filter`. */
export function counter(samples: Sample[], name: string, filter: LabelFilter = {}): number {
  return samples.filter((s) => matches(s, name, filter)).reduce((sum, s) => sum + s.value, 0)
}

export interface Histogram {
  /** Cumulative counts by upper bound, ascending; the last bound is Infinity. */
  buckets: { le: number; count: number }[]
  sum: number
  count: number
}

export function histogram(samples: Sample[], name: string, filter: LabelFilter = {}): Histogram {
  const byLe = new Map<number, number>()
  for (const s of samples) {
    if (!matches(s, `${name}_bucket`, filter) || s.labels.le === undefined) continue
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le)
    byLe.set(le, (byLe.get(le) ?? 0) + s.value)
  }
  return {
    buckets: [...byLe].sort(([a], [b]) => a - b).map(([le, count]) => ({ le, count })),
    sum: counter(samples, `${name}_sum`, filter),
    count: counter(samples, `${name}_count`, filter),
  }
}

/** What happened between two scrapes of the same histogram. */
export function histogramDelta(after: Histogram, before: Histogram): Histogram {
  const previous = new Map(before.buckets.map((b) => [b.le, b.count]))
  return {
    buckets: after.buckets.map((b) => ({ le: b.le, count: b.count - (previous.get(b.le) ?? 0) })),
    sum: after.sum - before.sum,
    count: after.count - before.count,
  }
}

/**
 * A quantile estimated as Prometheus' histogram_quantile does: linear within the bucket that holds it.
 * Only as fine as the buckets; a value in the +Inf bucket reports the largest finite bound.
 */
export function histogramQuantile(h: Histogram, q: number): number | undefined {
  const total = h.buckets.at(-1)?.count ?? 0
  if (total === 0) return undefined
  const rank = q * total
  let lowerBound = 0
  let lowerCount = 0
  for (const { le, count } of h.buckets) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return lowerBound
      const inBucket = count - lowerCount
      return inBucket === 0 ? le : lowerBound + ((le - lowerBound) * (rank - lowerCount)) / inBucket
    }
    lowerBound = le
    lowerCount = count
  }
  return lowerBound
}

export function histogramMean(h: Histogram): number | undefined {
  return h.count > 0 ? h.sum / h.count : undefined
}

export async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(url)
  return parseMetrics(await res.text())
}

/** What happened between two scrapes: histogram and counter deltas, and the gauges of the second. */
export function metricsDelta(before: Sample[], after: Sample[]) {
  return {
    histogram: (name: string, filter: LabelFilter = {}): Histogram =>
      histogramDelta(histogram(after, name, filter), histogram(before, name, filter)),
    counter: (name: string, filter: LabelFilter = {}) =>
      counter(after, name, filter) - counter(before, name, filter),
    gauge: (name: string, filter: LabelFilter = {}) => after.find((s) => matches(s, name, filter))?.value,
    /** By suffix: the default metrics' prefix (e.g. nodejs_) is the app's choice. */
    gaugeEndingWith: (suffix: string) => after.find((s) => s.name.endsWith(suffix))?.value,
  }
}
