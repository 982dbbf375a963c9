import { createHash } from 'node:crypto'
import type { EnrichedEvent } from '../../src/event.ts'
import {
  eventTimeMs,
  group,
  msToSeconds,
  PAYLOAD_OBJECTS,
  nonEmptyString as str,
} from '../common/event-fields.ts'
import { sessionStartMs } from '../common/session-start.ts'

/**
 * Player event → one GA4 Measurement Protocol event plus the request-level fields it must be sent with
 * (https://developers.google.com/analytics/devguides/collection/protocol/ga4/reference#payload_post_body).
 * client_id, user_id, consent, device and ip_override belong to the request, not the event, so events can
 * only share a request when these are equal: `send` groups records by them.
 */

export interface Ga4RequestFields {
  client_id: string
  user_id?: string
  consent?: { ad_user_data?: 'GRANTED' | 'DENIED'; ad_personalization?: 'GRANTED' | 'DENIED' }
  device?: Record<string, string>
  ip_override?: string
}

export type Ga4ParamValue = string | number

export interface Ga4Event {
  name: string
  params: Record<string, Ga4ParamValue>
  /** Unix epoch microseconds; the event's own timestamp wins over the request's and the receive time. */
  timestamp_micros: number
}

export interface Ga4Record {
  request: Ga4RequestFields
  event: Ga4Event
}

export interface TransformOptions {
  max_params_per_event: number
  max_param_value_length: number
  forward_client_ip: boolean
}

// https://developers.google.com/analytics/devguides/collection/protocol/ga4/sending-events#limitations:
// event and parameter names "must be 40 characters or fewer, can only contain alphanumeric characters and
// underscores, and must start with an alphabetic character".
export const MAX_NAME_LENGTH = 40
export const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/
// Reference, "Reserved parameter names": names can't begin with these.
export const RESERVED_PARAM_PREFIXES = ['_', 'firebase_', 'ga_', 'google_', 'gtag.']

/** Payload objects of the data dictionary whose scalar fields become `<object>_<field>` params. */

/** Hex characters of the hash that keeps two long names apart once cut to 40 characters. */
const NAME_HASH_CHARS = 6

/**
 * A name made of letters, digits and underscores, starting with a letter, at most 40 characters:
 * `share.clicked` → `share_clicked`. A longer name keeps its first 33 characters and ends in `_` plus 6 hex
 * characters of its SHA-256, so two long names that share their first 40 characters stay two names (a plain
 * cut would merge them in GA4 without a word). Returns undefined when nothing usable is left.
 */
export function ga4Name(raw: string): string | undefined {
  const cleaned = raw.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^[^A-Za-z]+/, '')
  if (cleaned === '') return undefined
  if (cleaned.length <= MAX_NAME_LENGTH) return cleaned
  const hash = createHash('sha256').update(cleaned).digest('hex').slice(0, NAME_HASH_CHARS)
  return `${cleaned.slice(0, MAX_NAME_LENGTH - NAME_HASH_CHARS - 1)}_${hash}`
}

/**
 * `video_<type>`, and the `custom` event's own name. The `video_` prefix keeps the player's types together
 * and clear of the Measurement Protocol's reserved `error` (validate.ts); a custom name that is reserved is
 * rejected there, with the rule as reason.
 */
export function eventName(event: EnrichedEvent): string {
  if (event.type === 'custom' && typeof event.name === 'string') {
    return ga4Name(event.name) ?? 'video_custom'
  }
  return ga4Name(`video_${event.type}`) ?? 'video_event'
}

/**
 * GA4's client_id "must be two positive numbers, joined by a period" (reference, client_id). An
 * anonymous_id that already is a gtag client id is kept, so server events join the browser's sessions;
 * any other id (anonymous_id, else session_id) is hashed into that shape, the same id giving the same
 * client_id.
 */
export function clientId(event: EnrichedEvent): string {
  const source = str(group(event, 'user').anonymous_id) ?? event.session_id
  if (/^[1-9]\d*\.[1-9]\d*$/.test(source)) return source
  const hash = createHash('sha256').update(source).digest()
  return `${hash.readUInt32BE(0) || 1}.${hash.readUInt32BE(4) || 1}`
}

/**
 * GA4 expects session_id as "a positive numeric value representing a timestamp" (reference, common event
 * parameters): the session start in seconds when known (UUIDv7 session ids carry it), else a positive
 * number hashed from the session id, stable for the whole session.
 */
export function sessionNumber(event: EnrichedEvent): number {
  const start = sessionStartMs(event)
  if (start !== undefined) return Math.floor(start / 1000)
  const hash = createHash('sha256').update(event.session_id).digest()
  return (hash.readUInt32BE(0) % 2_000_000_000) + 1
}

/** engagement_time_msec: time the viewer was watching since the previous event, when the event says. */
function engagementMs(event: EnrichedEvent): number {
  const playing = group(event, 'metrics').playing_ms
  // At least 1: GA4 needs a value for activity to show in reports (reference, common event parameters).
  return typeof playing === 'number' && playing > 0 ? Math.round(playing) : 1
}

class ParamList {
  readonly params: Record<string, Ga4ParamValue> = {}
  #count = 0

  private readonly options: TransformOptions
  constructor(options: TransformOptions) {
    this.options = options
  }

  /** Adds a param unless the list is full, the name is unusable or the value is empty. */
  add(rawName: string, value: unknown): void {
    if (this.#count >= this.options.max_params_per_event) return
    const name = ga4Name(rawName)
    if (!name || name in this.params || RESERVED_PARAM_PREFIXES.some((p) => name.startsWith(p))) return
    let clean: Ga4ParamValue
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return
      clean = value
    } else if (typeof value === 'boolean') {
      clean = String(value)
    } else if (typeof value === 'string' && value !== '') {
      clean = value.slice(0, this.options.max_param_value_length)
    } else {
      return
    }
    this.params[name] = clean
    this.#count++
  }
}

/**
 * Params in priority order, cut at max_params_per_event (GA4 ignores the rest anyway): sessionization
 * and dedupe first, then GA4's video parameters, then the event's own payload, then custom dimensions.
 */
function params(event: EnrichedEvent, options: TransformOptions): Record<string, Ga4ParamValue> {
  const list = new ParamList(options)
  const player = group(event, 'player')
  const content = group(event, 'content')
  const milestone = group(event, 'milestone')

  list.add('session_id', sessionNumber(event))
  list.add('engagement_time_msec', engagementMs(event))
  // GA4 has no dedupe key: event_id lets BigQuery-export queries drop redeliveries.
  list.add('event_id', event.event_id)
  list.add('view_id', event.view_id)
  list.add('seq', event.seq)
  // Parameter names of GA4's video engagement events (https://support.google.com/analytics/answer/9216061).
  list.add('video_provider', player.name)
  list.add('video_title', content.title)
  list.add('video_url', content.url)
  list.add('video_duration', msToSeconds(content.duration_ms))
  list.add('video_current_time', msToSeconds(player.playhead_ms))
  list.add('video_percent', milestone.percent)
  list.add('content_id', content.id)
  list.add('content_series', content.series)
  list.add('stream_type', content.stream_type)

  for (const payload of PAYLOAD_OBJECTS) {
    for (const [field, value] of Object.entries(group(event, payload))) list.add(`${payload}_${field}`, value)
  }
  if (event.type === 'custom') {
    for (const [field, value] of Object.entries(group(event, 'data'))) list.add(field, value)
  }
  for (const [field, value] of Object.entries(group(event, 'custom'))) list.add(field, value)
  list.add('player_state', player.state)
  list.add('bitrate_kbps', player.bitrate_kbps)
  list.add('cdn', group(event, 'cdn').name)
  return list.params
}

function consent(event: EnrichedEvent): Ga4RequestFields['consent'] {
  const given = group(group(event, 'user'), 'consent')
  const state = (value: unknown) => (value === true ? 'GRANTED' : value === false ? 'DENIED' : undefined)
  const result: NonNullable<Ga4RequestFields['consent']> = {}
  const adUserData = state(given.advertising)
  const adPersonalization = state(given.personalization)
  if (adUserData) result.ad_user_data = adUserData
  if (adPersonalization) result.ad_personalization = adPersonalization
  return Object.keys(result).length > 0 ? result : undefined
}

/** The reference's `device` object; GA4 then ignores user_agent, which is therefore not sent. */
function device(event: EnrichedEvent): Record<string, string> | undefined {
  const d = group(event, 'device')
  const width = d.screen_width
  const height = d.screen_height
  const fields: [string, unknown][] = [
    ['category', d.type === 'tv' || d.type === 'set_top_box' ? 'smart TV' : d.type],
    ['language', d.language],
    [
      'screen_resolution',
      typeof width === 'number' && typeof height === 'number' ? `${width}x${height}` : '',
    ],
    ['operating_system', d.os_name],
    ['operating_system_version', d.os_version],
    ['model', d.model],
    ['brand', d.manufacturer],
    ['browser', d.browser_name],
    ['browser_version', d.browser_version],
  ]
  const out: Record<string, string> = {}
  for (const [key, value] of fields) {
    const text = str(value)
    if (text) out[key] = text
  }
  return Object.keys(out).length > 0 ? out : undefined
}

export function toGa4(event: EnrichedEvent, options: TransformOptions): Ga4Record {
  const request: Ga4RequestFields = { client_id: clientId(event) }
  const userId = str(group(event, 'user').id)
  if (userId) request.user_id = userId
  const consentFields = consent(event)
  if (consentFields) request.consent = consentFields
  const deviceFields = device(event)
  if (deviceFields) request.device = deviceFields
  if (options.forward_client_ip && str(event.client_ip)) request.ip_override = event.client_ip

  return {
    request,
    event: {
      name: eventName(event),
      params: params(event, options),
      timestamp_micros: Math.round(eventTimeMs(event)) * 1000,
    },
  }
}
