import type { AlertWindows, BurnWindow } from './burn-windows.ts'
import { type AlertingRule, type RecordingRule, type RuleGroup, runbookUrl } from './prometheus-rules.ts'
import type { Slo, SloSpec } from './slo-spec.ts'

/**
 * Recording rules and multi-window, multi-burn-rate alerts for each SLO, named `level:metric:operations`
 * (https://prometheus.io/docs/practices/rules/): every series is per connector and carries `slo="<name>"`.
 */

export const errorRatio = (window: string) => `connector:framewire_slo_errors:ratio_rate${window}`
/** Error budget left over the SLO period, 1 = untouched, 0 = spent, below 0 = overspent. */
export const BUDGET_REMAINING = 'connector:framewire_slo_error_budget_remaining:ratio'
const ERRORS_5M = 'connector:framewire_slo_errors:rate5m'
const EVENTS_5M = 'connector:framewire_slo_events:rate5m'

function sliWindows(windows: AlertWindows): string[] {
  const all = [...windows.page, ...windows.ticket].flatMap((w) => [w.short, w.long])
  return [...new Set(all)]
}

const indent = (query: string) => query.replace(/^/gm, '  ')
const selector = (slo: Slo) => `{slo="${slo.name}"}`

function sliRules(spec: SloSpec, slo: Slo, windows: string[]): RecordingRule[] {
  const labels = { ...spec.labels, ...slo.labels, slo: slo.name }
  return windows.map((window) => ({
    record: errorRatio(window),
    expr: `(\n${indent(slo.errorQuery(window))}\n)\n/\n(\n${indent(slo.totalQuery(window))}\n)\n`,
    labels,
  }))
}

/** Errors and events every 5 minutes, summed over the period: the budget counts events, not 5-minute ratios. */
function budgetRules(spec: SloSpec, slo: Slo, period: string): RecordingRule[] {
  const labels = { ...spec.labels, ...slo.labels, slo: slo.name }
  const s = selector(slo)
  const periodRatio = errorRatio(period)
  return [
    { record: ERRORS_5M, expr: slo.errorQuery('5m'), labels },
    { record: EVENTS_5M, expr: slo.totalQuery('5m'), labels },
    {
      record: periodRatio,
      expr: `sum_over_time(${ERRORS_5M}${s}[${period}])\n/\nsum_over_time(${EVENTS_5M}${s}[${period}])\n`,
      labels,
    },
    { record: BUDGET_REMAINING, expr: `1 - ${periodRatio}${s} / (1 - ${slo.objective})`, labels },
  ]
}

function burnCondition(slo: Slo, w: BurnWindow): string {
  const threshold = `(${w.burn} * (1 - ${slo.objective}))`
  const s = selector(slo)
  return `(\n  ${errorRatio(w.long)}${s} > ${threshold}\nand\n  ${errorRatio(w.short)}${s} > ${threshold}\n)`
}

function burnAlert(slo: Slo, severity: 'page' | 'ticket', burns: BurnWindow[]): AlertingRule[] {
  const meta = severity === 'page' ? slo.page : slo.ticket
  if (meta.disable || burns.length === 0) return []
  const spans = burns.map((w) => `${w.burn}× over ${w.long} and ${w.short}`).join(', or ')
  return [
    {
      alert: slo.alertName,
      expr: `${burns.map((w) => burnCondition(slo, w)).join('\nor\n')}\n`,
      labels: { severity, ...meta.labels, slo: slo.name },
      annotations: {
        summary: `Connector {{$labels.connector}} burns the ${slo.name} error budget too fast`,
        description: `${slo.description} The error budget burns at ${spans} the sustainable rate.`,
        ...meta.annotations,
        runbook_url: meta.annotations.runbook_url ?? runbookUrl(slo.alertName),
      },
    },
  ]
}

/** The rule groups of all SLOs for one set of alert windows. */
export function sloRuleGroups(spec: SloSpec, windows: AlertWindows): RuleGroup[] {
  const sli = sliWindows(windows)
  const { groupSuffix: suffix, period } = windows
  return [
    { name: `framewire-slo-sli${suffix}`, rules: spec.slos.flatMap((slo) => sliRules(spec, slo, sli)) },
    ...(period
      ? [
          {
            name: `framewire-slo-budget${suffix}`,
            rules: spec.slos.flatMap((slo) => budgetRules(spec, slo, period)),
          },
        ]
      : []),
    {
      name: `framewire-slo-alerts${suffix}`,
      rules: spec.slos.flatMap((slo) => [
        ...burnAlert(slo, 'page', windows.page),
        ...burnAlert(slo, 'ticket', windows.ticket),
      ]),
    },
  ]
}
