import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { DELIVERY_BUCKETS } from '../../src/worker/metrics.ts'

/**
 * Reads deploy/prometheus/slos.yaml, a Sloth `prometheus/v1` spec
 * (https://github.com/slok/sloth/blob/main/pkg/prometheus/api/v1/v1.go), and checks the conventions the
 * generated rules and dashboards rely on. Errors name the SLO and the field.
 */

export interface AlertMeta {
  disable: boolean
  labels: Record<string, string>
  annotations: Record<string, string>
}

export interface Slo {
  name: string
  /** Share of good events, 0..1 (the spec writes a percentage). */
  objective: number
  description: string
  labels: Record<string, string>
  errorQuery(window: string): string
  totalQuery(window: string): string
  /** Set for a latency SLO: the histogram bound its good events are counted under. */
  latencyTargetSeconds?: number
  /** Connectors this SLO is for; undefined: all connectors but those it excludes. */
  connectors?: string[]
  alertName: string
  page: AlertMeta
  ticket: AlertMeta
}

export interface SloSpec {
  service: string
  labels: Record<string, string>
  slos: Slo[]
}

export const SLO_SPEC_PATH = new URL('../../deploy/prometheus/slos.yaml', import.meta.url)

export function loadSloSpec(path: URL = SLO_SPEC_PATH): SloSpec {
  return parseSloSpec(readFileSync(path, 'utf8'))
}

const WINDOW = /\{\{\s*\.window\s*\}\}/g
const LATENCY_BUCKET = /framewire_delivery_latency_seconds_bucket\{[^}]*\ble="([^"]+)"/g
const CONNECTOR_MATCHER = /\bconnector\s*(=~|!~|!=|=)\s*"([^"]*)"/g

type Raw = Record<string, unknown>

export function parseSloSpec(text: string): SloSpec {
  const doc = parse(text) as Raw | null
  if (doc?.version !== 'prometheus/v1') throw new Error('slos.yaml: version must be "prometheus/v1"')
  const service = requireString(doc.service, 'service')
  const rawSlos = doc.slos
  if (!Array.isArray(rawSlos) || rawSlos.length === 0)
    throw new Error('slos.yaml: slos must list at least one SLO')
  const slos = rawSlos.map((raw: Raw, i) => parseSlo(raw, `slos[${i}]`))
  checkCoverage(slos)
  return { service, labels: stringMap(doc.labels, 'labels'), slos }
}

function parseSlo(raw: Raw, at: string): Slo {
  const name = requireString(raw.name, `${at}.name`)
  const where = `slo "${name}"`
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`${where}: name must be lower-case words joined by -`)
  const objective = raw.objective
  if (typeof objective !== 'number' || !(objective > 0 && objective < 100))
    throw new Error(`${where}: objective must be a percentage above 0 and below 100, e.g. 99.9`)
  const events = (raw.sli as Raw | undefined)?.events as Raw | undefined
  if (!events) throw new Error(`${where}: sli.events with error_query and total_query is required`)
  const errorQuery = requireQuery(events.error_query, `${where}: sli.events.error_query`)
  const totalQuery = requireQuery(events.total_query, `${where}: sli.events.total_query`)
  const alerting = (raw.alerting ?? {}) as Raw
  const slo: Slo = {
    name,
    // 99.9 / 100 is 0.9990000000000001 in floating point; the rules should read 0.999.
    objective: Number((objective / 100).toPrecision(12)),
    description: typeof raw.description === 'string' ? raw.description : '',
    labels: stringMap(raw.labels, `${where}: labels`),
    errorQuery: (window) => errorQuery.replace(WINDOW, window).trim(),
    totalQuery: (window) => totalQuery.replace(WINDOW, window).trim(),
    alertName: requireString(alerting.name, `${where}: alerting.name`),
    page: alertMeta(alerting, 'page_alert', where),
    ticket: alertMeta(alerting, 'ticket_alert', where),
  }
  const target = latencyTarget(errorQuery, where)
  if (target !== undefined) slo.latencyTargetSeconds = target
  const connectors = connectorScope(`${errorQuery}\n${totalQuery}`, where)
  if (connectors) slo.connectors = connectors
  return slo
}

/** The `le` bound a latency SLO counts good events under; it must be a bucket bound to be exact. */
function latencyTarget(query: string, where: string): number | undefined {
  const bounds = new Set([...query.matchAll(LATENCY_BUCKET)].map((m) => m[1] as string))
  if (bounds.size === 0) return undefined
  if (bounds.size > 1) throw new Error(`${where}: the error query counts more than one latency bound`)
  const [bound] = [...bounds]
  const seconds = Number(bound)
  if (!DELIVERY_BUCKETS.includes(seconds))
    throw new Error(
      `${where}: latency target le="${bound}" is not a bucket of framewire_delivery_latency_seconds, so it cannot be counted exactly; use one of ${DELIVERY_BUCKETS.join(', ')}`,
    )
  return seconds
}

/** Connectors named by a positive matcher, or undefined when the SLO is for all (minus exclusions). */
function connectorScope(queries: string, where: string): string[] | undefined {
  const positive = [...queries.matchAll(CONNECTOR_MATCHER)].filter((m) => m[1] === '=' || m[1] === '=~')
  if (positive.length === 0) return undefined
  const names = new Set(positive.flatMap((m) => (m[2] as string).split('|')))
  for (const n of names)
    if (!/^[\w-]+$/.test(n))
      throw new Error(`${where}: connector matcher "${n}" must list plain names joined by |`)
  return [...names]
}

function excluded(slo: Slo): Set<string> {
  const text = `${slo.errorQuery('5m')}\n${slo.totalQuery('5m')}`
  const negative = [...text.matchAll(CONNECTOR_MATCHER)].filter((m) => m[1] === '!=' || m[1] === '!~')
  return new Set(negative.flatMap((m) => (m[2] as string).split('|')))
}

/** Each connector has at most one SLO of each kind: the SLO for all must exclude those with their own. */
function checkCoverage(slos: Slo[]): void {
  const names = new Set<string>()
  for (const slo of slos) {
    if (names.has(slo.name)) throw new Error(`slo "${slo.name}" is declared twice`)
    names.add(slo.name)
  }
  for (const kind of [true, false]) {
    const ofKind = slos.filter((s) => (s.latencyTargetSeconds !== undefined) === kind)
    const forAll = ofKind.filter((s) => !s.connectors)
    if (forAll.length > 1)
      throw new Error(`slos ${forAll.map((s) => `"${s.name}"`).join(' and ')} both cover all connectors`)
    const owners = new Map<string, string>()
    for (const slo of ofKind)
      for (const connector of slo.connectors ?? []) {
        const other = owners.get(connector)
        if (other) throw new Error(`connector ${connector} is in both slo "${other}" and slo "${slo.name}"`)
        owners.set(connector, slo.name)
        const all = forAll[0]
        if (all && !excluded(all).has(connector))
          throw new Error(
            `slo "${all.name}" covers all connectors but must exclude ${connector} (connector!~"${connector}"), which slo "${slo.name}" covers`,
          )
      }
  }
}

function alertMeta(alerting: Raw, key: string, where: string): AlertMeta {
  const alert = (alerting[key] ?? {}) as Raw
  return {
    disable: alert.disable === true,
    labels: { ...stringMap(alerting.labels, `${where}: alerting.labels`), ...stringMap(alert.labels, key) },
    annotations: {
      ...stringMap(alerting.annotations, `${where}: alerting.annotations`),
      ...stringMap(alert.annotations, key),
    },
  }
}

function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '')
    throw new Error(`slos.yaml: ${what} must be a non-empty string`)
  return value
}

function requireQuery(value: unknown, what: string): string {
  if (typeof value !== 'string' || !value.match(WINDOW))
    throw new Error(`${what} must be a query using {{.window}}`)
  return value
}

function stringMap(value: unknown, what: string): Record<string, string> {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`slos.yaml: ${what} must be a map`)
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new Error(`slos.yaml: ${what}.${k} must be a string`)
    out[k] = v
  }
  return out
}
