/** The shape of a Prometheus rule file (https://prometheus.io/docs/prometheus/latest/configuration/recording_rules/). */

export interface RecordingRule {
  record: string
  expr: string
  labels?: Record<string, string>
}

export interface AlertingRule {
  alert: string
  expr: string
  for?: string
  labels: Record<string, string> & { severity: string }
  annotations: Record<string, string> & { summary: string; runbook_url: string }
}

export interface RuleGroup {
  name: string
  interval?: string
  rules: (RecordingRule | AlertingRule)[]
}

/** The runbook of an alert: its section in docs/operations.md (headings are the alert names). */
export const runbookUrl = (alert: string) => `docs/operations.md#${alert.toLowerCase()}`
