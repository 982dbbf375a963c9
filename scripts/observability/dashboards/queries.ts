/** PromQL shared by several panels. `$__rate_interval` is Grafana's rate window for the panel's resolution. */

export const RATE = '[$__rate_interval]'

export const rate = (metric: string, by: string, selector = '') =>
  `sum by (${by}) (rate(${metric}${selector}${RATE}))`

export const quantile = (q: number, histogram: string, by: string, selector = '') =>
  `histogram_quantile(${q}, sum by (${by}, le) (rate(${histogram}_bucket${selector}${RATE})))`

/** p50, p95 and p99 of a histogram, one series each per `by`. */
export function quantiles(histogram: string, by: string, selector = '', qs = [0.5, 0.95, 0.99]) {
  return qs.map((q) => ({
    expr: quantile(q, histogram, by, selector),
    legend: `{{${by}}} p${Math.round(q * 100)}`,
  }))
}
