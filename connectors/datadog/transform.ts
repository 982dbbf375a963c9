import type { EnrichedEvent } from '../../src/event.ts'
import { group } from '../common/event-fields.ts'

/** One entry of the JSON array POSTed to /api/v2/logs (https://docs.datadoghq.com/api/latest/logs/#send-logs). */
export interface DatadogLog {
  ddsource: string
  ddtags: string
  hostname: string
  service: string
  message: string
  status: 'info' | 'warn' | 'error'
  /** Epoch ms; Datadog's default date remapper reads `timestamp`. */
  timestamp: number
  event_id: string
  [attribute: string]: unknown
}

export interface TransformOptions {
  ddsource: string
  service: string
  hostname?: string
  tags: string[]
}

/**
 * Attribute names Datadog reserves or remaps by default (https://docs.datadoghq.com/logs/log_configuration/attributes_naming_convention/#reserved-attributes,
 * and the default date/status/message remappers). Event fields with these names are sent as `fw_<name>`.
 */
const RESERVED = new Set([
  'ddsource',
  'ddtags',
  'hostname',
  'host',
  'service',
  'source',
  'status',
  'level',
  'severity',
  'message',
  'msg',
  'timestamp',
  'date',
  '_timestamp',
  'Timestamp',
  'eventTime',
  'published_date',
  'trace_id',
  'span_id',
  'dd',
  'syslog',
])

const ERROR_TYPES = new Set(['error', 'ad_error'])
const WARN_TYPES = new Set(['buffer_start'])

/**
 * A Datadog tag: lowercase; characters other than letters, digits, "_", "-", ":", "." and "/" become "_";
 * at most 200 characters (https://docs.datadoghq.com/getting_started/tagging/#define-tags).
 */
export function sanitizeTag(tag: string): string {
  return tag
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_\-:./]/gu, '_')
    .slice(0, 200)
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return undefined
}

/** error/ad_error → error (warn when `error.fatal` is false); buffer_start → warn; others → info. */
export function logStatus(event: EnrichedEvent): DatadogLog['status'] {
  if (ERROR_TYPES.has(event.type)) return group(event, 'error').fatal === false ? 'warn' : 'error'
  if (WARN_TYPES.has(event.type)) return 'warn'
  return 'info'
}

/** "error view=… seq=7: MEDIA_ERR_DECODE Decoding failed" */
export function summary(event: EnrichedEvent): string {
  let line = `${event.type} view=${event.view_id} seq=${event.seq}`
  if (ERROR_TYPES.has(event.type)) {
    const nested = group(event, 'error')
    const code = text(event.error_code) ?? text(nested.code)
    const message = text(event.error_message) ?? text(nested.message) ?? text(event.message)
    const detail = [code, message].filter(Boolean).join(' ')
    if (detail) line += `: ${detail.slice(0, 500)}`
  }
  return line
}

export function eventTags(event: EnrichedEvent, configured: readonly string[]): string {
  const tags = [...configured]
  tags.push(`fw_source:${event.source}`, `event_type:${event.type}`)
  const cdn = text(group(event, 'cdn').name)
  if (cdn) tags.push(`cdn:${cdn}`)
  const player = text(group(event, 'player').name)
  if (player) tags.push(`player:${player}`)
  return tags.map(sanitizeTag).join(',')
}

export function toDatadog(event: EnrichedEvent, options: TransformOptions): DatadogLog {
  const attributes: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(event)) {
    if (value === undefined) continue
    attributes[RESERVED.has(key) ? `fw_${key}` : key] = value
  }
  return {
    ...attributes,
    ddsource: options.ddsource,
    ddtags: eventTags(event, options.tags),
    hostname: options.hostname ?? event.ingest_node,
    service: options.service,
    status: logStatus(event),
    message: summary(event),
    timestamp: Math.round(Number.isFinite(event.ts_corrected) ? event.ts_corrected : event.ts),
    event_id: event.event_id,
  }
}
