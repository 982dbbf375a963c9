import { ratio } from '../lib/numbers.ts'
import { type TraceRunFigures, traceCost } from '../lib/trace-cost.ts'
import type { ConnectorFigures, WindowFigures } from './figures.ts'
import { SINK_NAMES, type SinkName } from './sink-protocol.ts'

/** The results' `ratios` and `goal`: runs of the same invocation compared with one another. */

export const GOAL = { rate: 5000, p99Ms: 250 }

export interface Runs {
  healthy: Map<number, WindowFigures>
  hanging: Map<number, WindowFigures>
  embedded: Map<number, WindowFigures>
  /** With --trace all: the healthy run at the first rate again, tracing every event. */
  traced: Map<number, WindowFigures>
}

/** Events delivered per second (the mean over the connectors) and Framewire's CPU per delivered event. */
function traceFigures(f: WindowFigures): TraceRunFigures {
  const perSecond =
    SINK_NAMES.reduce((sum, n) => sum + f.connectors[n].delivered_per_s, 0) / SINK_NAMES.length
  const cores = f.cpu_cores_used.framewire
  return {
    events_per_s: Math.round(perSecond),
    cpu_us_per_event: cores === null || perSecond === 0 ? null : Math.round((cores * 1e6) / perSecond),
  }
}

type Figure = (c: ConnectorFigures) => number | null
const p99Exact: Figure = (c) => c.exact_ms.p99
const p99Histogram: Figure = (c) => c.histogram_ms.p99
const p50Exact: Figure = (c) => c.exact_ms.p50
const maxExact: Figure = (c) => c.exact_ms.max

/** Per connector, each figure of `run` ÷ the same of `base` (by the results' names), plus `extra`. */
function compare(
  run: WindowFigures,
  base: WindowFigures,
  names: readonly SinkName[],
  figures: Record<string, Figure>,
  extra: Record<string, unknown>,
) {
  return Object.fromEntries(
    names.map((n) => [
      n,
      {
        ...Object.fromEntries(
          Object.entries(figures).map(([name, figure]) => [
            name,
            ratio(figure(run.connectors[n]), figure(base.connectors[n])),
          ]),
        ),
        ...extra,
      },
    ]),
  )
}

export function ratios(runs: Runs, rates: number[], hang: SinkName) {
  const baselineRate = rates[0] as number
  const baseline = runs.healthy.get(baselineRate) as WindowFigures
  const healthyAt = (rate: number) => runs.healthy.get(rate) as WindowFigures
  return {
    note: 'the same invocation’s runs: higher rate ÷ baseline rate, hanging ÷ healthy at the same rate (other connectors only), and the embedded bus ÷ Kafka at the same rate',
    ...Object.fromEntries(
      rates.slice(1).map((rate) => {
        const f = healthyAt(rate)
        return [
          `p99_at_${rate}_vs_${baselineRate}`,
          compare(
            f,
            baseline,
            SINK_NAMES,
            { exact: p99Exact, histogram: p99Histogram },
            {
              sustained_at_higher_rate: f.sustained.ok,
            },
          ),
        ]
      }),
    ),
    ...Object.fromEntries(
      [...runs.hanging].map(([rate, f]) => [
        `${hang}_hanging_vs_healthy_at_${rate}`,
        compare(
          f,
          healthyAt(rate),
          SINK_NAMES.filter((n) => n !== hang),
          { p99_exact: p99Exact, p99_histogram: p99Histogram, p50_exact: p50Exact, max_exact: maxExact },
          {},
        ),
      ]),
    ),
    ...Object.fromEntries(
      [...runs.traced].map(([rate, f]) => [
        `traced_vs_off_at_${rate}`,
        {
          ...traceCost(traceFigures(healthyAt(rate)), traceFigures(f)),
          p99_exact: compare(f, healthyAt(rate), SINK_NAMES, { p99_exact: p99Exact }, {}),
        },
      ]),
    ),
    ...Object.fromEntries(
      [...runs.embedded].map(([rate, f]) => [
        `embedded_vs_kafka_at_${rate}`,
        compare(
          f,
          healthyAt(rate),
          SINK_NAMES,
          { p99_exact: p99Exact, p99_histogram: p99Histogram, p50_exact: p50Exact },
          {
            sustained_on_embedded: f.sustained.ok,
          },
        ),
      ]),
    ),
  }
}

/** p99 of one connector: exact where the sink measures it, else the histogram's estimate. */
function bestP99(c: ConnectorFigures): { value: number | null; from: 'exact' | 'histogram' } {
  return c.exact_ms.p99 !== null
    ? { value: c.exact_ms.p99, from: 'exact' }
    : { value: c.histogram_ms.p99, from: 'histogram' }
}

export function goal(healthy: Map<number, WindowFigures>) {
  const goalRun = healthy.get(GOAL.rate)
  const p99 = goalRun ? Object.fromEntries(SINK_NAMES.map((n) => [n, bestP99(goalRun.connectors[n])])) : null
  const met =
    goalRun && p99
      ? Object.values(p99).every((p) => p.value !== null && p.value <= GOAL.p99Ms) &&
        SINK_NAMES.every((n) => {
          const h = goalRun.connectors[n].histogram_ms.p99
          return h !== null && h <= GOAL.p99Ms
        })
      : null
  return {
    description: `p99 delivery latency ≤ ${GOAL.p99Ms} ms at ${GOAL.rate} events/s for every connector, Kafka on the same machine`,
    rate_events_per_s: GOAL.rate,
    p99_limit_ms: GOAL.p99Ms,
    p99_ms: p99,
    met,
    note:
      goalRun === undefined
        ? `no healthy run at ${GOAL.rate} events/s (--rates)`
        : 'met only if every connector is within the limit both exactly (where the sink measures it) and by the histogram',
  }
}
