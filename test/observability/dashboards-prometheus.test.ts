import { readFile } from 'node:fs/promises'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_WINDOWS } from '../../scripts/observability/burn-windows.ts'
import { RULES_PATH, renderRules } from '../../scripts/observability/render.ts'
import { loadSloSpec } from '../../scripts/observability/slo-spec.ts'
import { connectorsYaml, postViews, type StandIns, startStandIns } from '../e2e/harness.ts'
import { startPipeline, testConfig, WRITE_KEY } from '../helpers/pipeline.ts'
import { envelope, playerEvent } from '../helpers/player-events.ts'
import { type RunningPrometheus, startPrometheus } from '../helpers/prometheus.ts'
import { startWebhookStandIn } from '../stand-ins/webhook.ts'

/**
 * A real Prometheus scrapes a pipeline under load whose `failing` destination answers 503 to everything. Every
 * dashboard query must parse and return series carrying the labels its legend shows, and the failing
 * connector's delivery-success burn alert must go off on the short test windows (the same generator, with
 * TEST_WINDOWS, loaded beside the committed rules). Renaming a metric or a label breaks this test.
 */

const DASHBOARDS = ['overview', 'connector', 'ingest', 'bus']
const FAILING_SECRET = `whsec_${Buffer.from('framewire-failing-secret-32bytes').toString('base64')}`

interface Target {
  expr: string
  legendFormat?: string
}
interface Panel {
  title: string
  type: string
  targets?: Target[]
  panels?: Panel[]
}
interface Dashboard {
  title: string
  panels: Panel[]
  templating: { list: { name: string; type: string; query: unknown }[] }
}
interface Sample {
  metric: Record<string, string>
}
interface RuleGroups {
  groups: {
    name: string
    rules: { name: string; alerts?: { labels: Record<string, string>; state: string }[] }[]
  }[]
}

/** What beforeAll started; the tests only run once it has. */
function started<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the pipeline and Prometheus did not start')
  return value
}

let standIns: StandIns | undefined
let failing: Awaited<ReturnType<typeof startWebhookStandIn>> | undefined
let pipeline: Awaited<ReturnType<typeof startPipeline>> | undefined
let prometheus: RunningPrometheus | undefined
let loading = true
let load: Promise<void> = Promise.resolve()
const dashboards: Dashboard[] = []

async function post(url: string, events: unknown[]) {
  const res = await request(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}` },
    body: JSON.stringify(envelope(events)),
  })
  await res.body.dump()
}

/** Views, a duplicate and an event of an unknown type every round, until the test is done. */
async function generateLoad(url: string) {
  while (loading) {
    const events = await postViews(url, 2, 20, 1)
    await post(url, events.slice(0, 3))
    await post(url, [playerEvent('heartbeat', { type: 'not_a_type' })])
    await new Promise((r) => setTimeout(r, 200))
  }
}

beforeAll(async () => {
  for (const name of DASHBOARDS)
    dashboards.push(
      JSON.parse(await readFile(new URL(`../../dashboards/${name}.json`, import.meta.url), 'utf8')),
    )
  standIns = await startStandIns()
  failing = await startWebhookStandIn({ secret: FAILING_SECRET })
  failing.script.failFor(10 * 60_000, 503)
  const failingYaml = `
  - name: failing
    type: webhook
    settings: { url: ${failing.endpoint}, secret: '${FAILING_SECRET}' }
    sampling: { rate: 0.5 }
    retry: { max_attempts: 2, initial_backoff_ms: 20, max_backoff_ms: 50 }
    circuit_breaker: { failure_threshold: 1000 }`
  pipeline = await startPipeline(testConfig(connectorsYaml(standIns, failingYaml), {}, 'embedded'), 'all')
  const committed = await readFile(new URL(`../../${RULES_PATH}`, import.meta.url), 'utf8')
  prometheus = await startPrometheus({
    targets: [pipeline.url.replace('http://', '')],
    rules: {
      'framewire-rules.yaml': committed,
      'test-windows.yaml': renderRules(loadSloSpec(), TEST_WINDOWS),
    },
    interval: '1s',
  })
  load = generateLoad(pipeline.url)
}, 60_000)

afterAll(async () => {
  loading = false
  await load.catch(() => undefined)
  await prometheus?.stop()
  await pipeline?.stop()
  await failing?.close()
  await standIns?.close()
})

/** Grafana's variables as a dashboard opened on all values would expand them. */
function expand(expr: string): string {
  const out = expr
    .replaceAll('$__rate_interval', '10s')
    .replaceAll('$connector', '.*')
    .replaceAll('$source', '.*')
  expect(out, 'a Grafana variable the test does not expand').not.toContain('$')
  return out
}

const legendLabels = (legend = '') => [...legend.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1] as string)

function panelsOf(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]))
}

async function alertsOf(group: string, rule: string) {
  const { groups } = await started(prometheus).api<RuleGroups>('/api/v1/rules', { type: 'alert' })
  return groups.find((g) => g.name === group)?.rules.find((r) => r.name === rule)?.alerts ?? []
}

describe('dashboards and alerts on a real Prometheus', () => {
  it("fires the failing connector's delivery-success burn alert, and only its", async () => {
    const group = `framewire-slo-alerts${TEST_WINDOWS.groupSuffix}`
    let alerts: Awaited<ReturnType<typeof alertsOf>> = []
    const deadline = Date.now() + 45_000
    while (!alerts.some((a) => a.labels.connector === 'failing' && ['pending', 'firing'].includes(a.state))) {
      if (Date.now() > deadline) throw new Error(`no burn alert for failing: ${JSON.stringify(alerts)}`)
      await new Promise((r) => setTimeout(r, 1000))
      alerts = await alertsOf(group, 'FramewireDeliverySuccessBudgetBurn')
    }
    expect(alerts.find((a) => a.labels.connector === 'failing')?.labels).toMatchObject({
      severity: 'page',
      slo: 'delivery-success',
    })
    expect(alerts.map((a) => a.labels.connector)).not.toContain('datadog')
    expect(failing?.received.length).toBeGreaterThan(0)
  }, 60_000)

  it('exports every metric the dashboards read', async () => {
    const exposed = await request(`${started(pipeline).url}/metrics`).then((r) => r.body.text())
    const names = new Set(
      dashboards.flatMap((d) =>
        panelsOf(d).flatMap((p) =>
          (p.targets ?? []).flatMap((t) => t.expr.match(/(?<![:\w])framewire_[a-z_]+/g) ?? []),
        ),
      ),
    )
    for (const name of names) {
      const base = name.replace(/_(bucket|sum|count)$/, '')
      expect(exposed, `${name} is not exported`).toContain(base)
    }
  })

  it.each(DASHBOARDS)(
    'runs every query of the %s dashboard: it parses and returns labelled series',
    async (name) => {
      const d = dashboards[DASHBOARDS.indexOf(name)] as Dashboard
      for (const panel of panelsOf(d))
        for (const target of panel.targets ?? []) {
          const what = `${d.title} / ${panel.title}: ${target.expr}`
          const query = () =>
            started(prometheus).api<{ result: Sample[] }>('/api/v1/query', { query: expand(target.expr) })
          // Recording rules appear only after their first evaluation, which a loaded machine may delay.
          let data = await query()
          for (let tries = 0; data.result.length === 0 && tries < 20; tries++) {
            await new Promise((r) => setTimeout(r, 500))
            data = await query()
          }
          expect(data.result.length, `${what} returned no series`).toBeGreaterThan(0)
          for (const label of legendLabels(target.legendFormat))
            for (const sample of data.result)
              expect(sample.metric[label], `${what}: no label ${label}`).toBeTruthy()
        }
      for (const variable of d.templating.list.filter((v) => v.type === 'query')) {
        const [, metric, label] = /label_values\((\w+), (\w+)\)/.exec(String(variable.query)) ?? []
        const values = await started(prometheus).api<string[]>(`/api/v1/label/${label}/values`, {
          'match[]': String(metric),
        })
        expect(values.length, `variable ${variable.name} has no values`).toBeGreaterThan(0)
      }
    },
  )
})
