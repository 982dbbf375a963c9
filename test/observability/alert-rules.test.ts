import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import type { AlertingRule, RuleGroup } from '../../scripts/observability/prometheus-rules.ts'
import { RULES_PATH } from '../../scripts/observability/render.ts'
import { loadSloSpec, type Slo } from '../../scripts/observability/slo-spec.ts'

/**
 * promtool on the committed rules: `check rules`, then `test rules` with a simulated burn for every alert.
 * Each case has a series that must alert and a series that must not (promtool compares the full set).
 */

const run = promisify(execFile)
const RULES = fileURLToPath(new URL(`../../${RULES_PATH}`, import.meta.url))
const spec = loadSloSpec()

interface Series {
  series: string
  values: string
}
interface Expected {
  alertname: string
  labels: Record<string, string>
}
interface Case {
  name: string
  evaluationInterval: string
  series: Series[]
  evalTime: string
  alertnames: string[]
  firing: Expected[]
}

const selector = (metric: string, labels: Record<string, string>) =>
  `${metric}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`

/** A counter growing `perMinute` every minute for `minutes` (promtool's expanding notation). */
/** A counter from 0 that grows by `perMinute` each minute for `minutes`, phase after phase (promtool notation). */
function counter(
  metric: string,
  labels: Record<string, string>,
  phases: [perMinute: number, minutes: number][],
): Series {
  let value = 0
  const segments = phases.map(([perMinute, minutes], i) => {
    // The first segment holds the sample at minute 0 too; the next ones start a minute after the last.
    const start = i === 0 ? 0 : value + perMinute
    value = start + perMinute * (i === 0 ? minutes : minutes - 1)
    return `${start}+${perMinute}x${i === 0 ? minutes : minutes - 1}`
  })
  return { series: selector(metric, labels), values: segments.join(' ') }
}
const gauge = (metric: string, labels: Record<string, string>, value: number, minutes: number): Series => ({
  series: selector(metric, labels),
  values: `${value}x${minutes}`,
})

/** Input series of one connector whose error ratio is `burn` times its budget, phase after phase. */
function burning(slo: Slo, connector: string, phases: [burn: number, minutes: number][]): Series[] {
  const total = 1000
  const bad = (burn: number) => burn * (1 - slo.objective) * total
  const per = (f: (burn: number) => number) =>
    phases.map(([burn, minutes]): [number, number] => [f(burn), minutes])
  if (slo.latencyTargetSeconds !== undefined) {
    const le = String(slo.latencyTargetSeconds)
    return [
      counter(
        'framewire_delivery_latency_seconds_count',
        { connector },
        per(() => total),
      ),
      counter(
        'framewire_delivery_latency_seconds_bucket',
        { connector, le },
        per((b) => total - bad(b)),
      ),
    ]
  }
  return [
    counter(
      'framewire_connector_delivered_total',
      { connector },
      per((b) => total - bad(b)),
    ),
    counter('framewire_connector_dead_lettered_total', { connector, reason: 'rejected' }, per(bad)),
  ]
}

function sloAlert(slo: Slo, connector: string, severity: 'page' | 'ticket'): Expected {
  return {
    alertname: slo.alertName,
    labels: { ...spec.labels, ...slo.labels, ...slo[severity].labels, connector, slo: slo.name },
  }
}

function sloCases(slo: Slo): Case[] {
  const pageAndTicket = (connector: string) => [
    sloAlert(slo, connector, 'page'),
    sloAlert(slo, connector, 'ticket'),
  ]
  return [
    {
      // 20× for an hour after 6 calm hours: only the 1 h and 5 m windows are over their threshold for a page
      // (the 6 h window sees 3.75×); the 3 d and 6 h windows are over theirs for a ticket.
      name: `${slo.name}: fast burn pages`,
      evaluationInterval: '1m',
      series: [
        ...burning(slo, 'fast', [
          [0.5, 360],
          [20, 70],
        ]),
        ...burning(slo, 'calm', [[0.5, 430]]),
      ],
      evalTime: '425m',
      alertnames: [slo.alertName],
      firing: pageAndTicket('fast'),
    },
    {
      // 8×: below the 1 h threshold (14.4×) but above the 6 h one (6×).
      name: `${slo.name}: steady burn pages over 6 h`,
      evaluationInterval: '1m',
      series: [...burning(slo, 'steady', [[8, 400]]), ...burning(slo, 'calm', [[0.5, 400]])],
      evalTime: '390m',
      alertnames: [slo.alertName],
      firing: pageAndTicket('steady'),
    },
    {
      // 2×: only the 3 d ticket; 0.5× spends half the budget over the period and stays quiet.
      name: `${slo.name}: slow burn opens a ticket, half the budget does nothing`,
      // No longer: the alerts read the recorded ratios of the previous evaluation, within the 5 m lookback.
      evaluationInterval: '5m',
      series: [...burning(slo, 'slow', [[2, 4400]]), ...burning(slo, 'calm', [[0.5, 4400]])],
      evalTime: '4330m',
      alertnames: [slo.alertName],
      firing: [sloAlert(slo, 'slow', 'ticket')],
    },
  ]
}

const OPERATIONAL_CASES: Case[] = [
  {
    name: 'consumer lag above 60 s for 5 minutes pages',
    evaluationInterval: '1m',
    series: [
      gauge('framewire_connector_consumer_lag_seconds', { connector: 'stuck' }, 120, 10),
      gauge('framewire_connector_consumer_lag_seconds', { connector: 'fine' }, 30, 10),
    ],
    evalTime: '7m',
    alertnames: ['FramewireConsumerLagHigh'],
    firing: [{ alertname: 'FramewireConsumerLagHigh', labels: { connector: 'stuck', severity: 'page' } }],
  },
  {
    name: 'a connector paused for 15 minutes opens a ticket',
    evaluationInterval: '1m',
    series: [
      gauge('framewire_connector_paused', { connector: 'held', cause: 'credentials' }, 1, 20),
      gauge('framewire_connector_paused', { connector: 'running', cause: 'credentials' }, 0, 20),
    ],
    evalTime: '16m',
    alertnames: ['FramewireConnectorPaused'],
    firing: [
      {
        alertname: 'FramewireConnectorPaused',
        labels: { connector: 'held', cause: 'credentials', severity: 'ticket' },
      },
    ],
  },
  {
    name: 'dead letters appearing open a ticket',
    evaluationInterval: '1m',
    series: [
      counter('framewire_connector_dead_lettered_total', { connector: 'failing', reason: 'rejected' }, [
        [3, 10],
      ]),
      counter('framewire_connector_dead_lettered_total', { connector: 'fine', reason: 'rejected' }, [
        [0, 10],
      ]),
    ],
    evalTime: '5m',
    alertnames: ['FramewireDeadLetters'],
    firing: [
      {
        alertname: 'FramewireDeadLetters',
        labels: { connector: 'failing', reason: 'rejected', severity: 'ticket' },
      },
    ],
  },
  {
    name: 'ingest answering 5% of requests with 503 for 5 minutes pages',
    evaluationInterval: '1m',
    series: [
      counter('framewire_ingest_requests_total', { instance: 'a', route: '/v1/events', status: '503' }, [
        [5, 15],
      ]),
      counter('framewire_ingest_requests_total', { instance: 'a', route: '/v1/events', status: '202' }, [
        [95, 15],
      ]),
      counter('framewire_ingest_requests_total', { instance: 'b', route: '/v1/events', status: '503' }, [
        [0.5, 15],
      ]),
      counter('framewire_ingest_requests_total', { instance: 'b', route: '/v1/events', status: '202' }, [
        [99.5, 15],
      ]),
    ],
    evalTime: '12m',
    alertnames: ['FramewireIngestUnavailable'],
    firing: [{ alertname: 'FramewireIngestUnavailable', labels: { instance: 'a', severity: 'page' } }],
  },
]

const CASES = [...spec.slos.flatMap(sloCases), ...OPERATIONAL_CASES]

let rules: AlertingRule[]
let dir: string
beforeAll(async () => {
  const groups = (parse(await readFile(RULES, 'utf8')) as { groups: RuleGroup[] }).groups
  rules = groups.flatMap((g) => g.rules).filter((r): r is AlertingRule => 'alert' in r)
  dir = await mkdtemp(join(tmpdir(), 'framewire-promtool-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

/** The alert's annotations as Prometheus expands them for these labels. */
function annotationsFor(expected: Expected): Record<string, string> {
  const rule = rules.find(
    (r) => r.alert === expected.alertname && r.labels.severity === expected.labels.severity,
  )
  if (!rule) throw new Error(`no rule ${expected.alertname} with severity ${expected.labels.severity}`)
  return Object.fromEntries(
    Object.entries(rule.annotations).map(([k, v]) => [
      k,
      v.replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_, label: string) => expected.labels[label] ?? ''),
    ]),
  )
}

function promtoolTest(c: Case) {
  return {
    rule_files: [RULES],
    evaluation_interval: c.evaluationInterval,
    tests: [
      {
        interval: '1m',
        input_series: c.series,
        alert_rule_test: c.alertnames.map((alertname) => ({
          eval_time: c.evalTime,
          alertname,
          exp_alerts: c.firing
            .filter((f) => f.alertname === alertname)
            .map((f) => ({ exp_labels: f.labels, exp_annotations: annotationsFor(f) })),
        })),
      },
    ],
  }
}

describe('Prometheus rules', () => {
  it('pass promtool check rules', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', RULES])
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/)
  })

  it('have a burn case for every alert and severity', () => {
    const tested = new Set(CASES.flatMap((c) => c.firing.map((f) => `${f.alertname}/${f.labels.severity}`)))
    expect(new Set(rules.map((r) => `${r.alert}/${r.labels.severity}`))).toEqual(tested)
  })

  it.concurrent.each(CASES.map((c) => [c.name, c] as const))(
    '%s (promtool test rules)',
    async (_name, c) => {
      const file = join(dir, `${c.name.replace(/\W+/g, '-')}.yaml`)
      await writeFile(file, stringify(promtoolTest(c)))
      const result = await run('promtool', ['test', 'rules', file]).catch(
        (err: { stdout: string; stderr: string }) => err,
      )
      expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS')
    },
    60_000,
  )
})
