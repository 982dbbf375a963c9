import { type Ga4Record, MAX_NAME_LENGTH, NAME_PATTERN, RESERVED_PARAM_PREFIXES } from './transform.ts'

/**
 * What GA4 would silently drop, checked before sending: /mp/collect answers 2xx even for malformed payloads
 * (https://developers.google.com/analytics/devguides/collection/protocol/ga4/reference#transport), so a
 * record breaking these rules is rejected here, with the rule as reason, instead of being lost.
 */

// https://developers.google.com/analytics/devguides/collection/protocol/ga4/reference#reserved_names
// ("Reserved event names"), the names the Measurement Protocol refuses; `ad_impression`, `in_app_purchase` and
// `screen_view` are listed there for app streams and kept here too. Enhanced measurement's web names
// (`click`, `scroll`, `page_view`, `video_start`… of https://support.google.com/analytics/answer/13316687)
// are names GA4 collects by itself in a browser, not names the Measurement Protocol refuses, so they stay
// valid custom names.
export const RESERVED_EVENT_NAMES = new Set([
  'ad_activeview',
  'ad_click',
  'ad_exposure',
  'ad_impression',
  'ad_query',
  'ad_reward',
  'adunit_exposure',
  'app_clear_data',
  'app_exception',
  'app_install',
  'app_remove',
  'app_store_refund',
  'app_update',
  'app_upgrade',
  'dynamic_link_app_open',
  'dynamic_link_app_update',
  'dynamic_link_first_open',
  'error',
  'firebase_campaign',
  'firebase_in_app_message_action',
  'firebase_in_app_message_dismiss',
  'firebase_in_app_message_impression',
  'first_open',
  'first_visit',
  'in_app_purchase',
  'notification_dismiss',
  'notification_foreground',
  'notification_open',
  'notification_receive',
  'notification_send',
  'os_update',
  'screen_view',
  'session_start',
  'user_engagement',
])
// Prefixes Google's own SDKs log events under (firebase_campaign, ga_…, google_…): kept clear to be safe.
const RESERVED_EVENT_PREFIXES = ['firebase_', 'ga_', 'google_']
// Same reference: "The following parameter names are reserved and can't be used".
const RESERVED_PARAM_NAMES = new Set(['firebase_conversion'])

export interface ValidationLimits {
  max_params_per_event: number
  max_param_value_length: number
  /** Oldest accepted event, in hours before `now`. */
  max_event_age_hours: number
}

/** The rules `record` breaks; empty when GA4 keeps it as sent. */
export function ga4Problems(record: Ga4Record, limits: ValidationLimits, now = Date.now()): string[] {
  const problems: string[] = []
  const { name, params, timestamp_micros } = record.event

  if (name.length > MAX_NAME_LENGTH || !NAME_PATTERN.test(name)) {
    problems.push(`event name "${name}" must be ≤ 40 letters, digits or _ and start with a letter`)
  } else if (RESERVED_EVENT_NAMES.has(name) || RESERVED_EVENT_PREFIXES.some((p) => name.startsWith(p))) {
    problems.push(`event name "${name}" is reserved`)
  }

  const names = Object.keys(params)
  if (names.length > limits.max_params_per_event) {
    problems.push(`${names.length} params, GA4 keeps at most ${limits.max_params_per_event}`)
  }
  for (const param of names) {
    const value = params[param]
    if (param.length > MAX_NAME_LENGTH || !NAME_PATTERN.test(param)) {
      problems.push(`param name "${param}" must be ≤ 40 letters, digits or _ and start with a letter`)
    } else if (RESERVED_PARAM_NAMES.has(param) || RESERVED_PARAM_PREFIXES.some((p) => param.startsWith(p))) {
      problems.push(`param name "${param}" is reserved`)
    }
    if (typeof value === 'string' && value.length > limits.max_param_value_length) {
      problems.push(`param "${param}" is longer than ${limits.max_param_value_length} characters`)
    } else if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
      problems.push(`param "${param}" must be a string or a finite number`)
    }
  }

  // https://developers.google.com/analytics/devguides/collection/protocol/ga4/sending-events#past_events:
  // older events are re-dated to 72 h ago (RELAXED) or rejected (ENFORCE_RECOMMENDATIONS); either way the
  // data would be wrong.
  const oldest = now - limits.max_event_age_hours * 3_600_000
  if (timestamp_micros / 1000 < oldest) {
    problems.push(`event is older than ${limits.max_event_age_hours} h: GA4 would re-date or drop it`)
  }

  if (!/^[1-9]\d*\.[1-9]\d*$/.test(record.request.client_id)) {
    problems.push('client_id must be two positive numbers joined by a period')
  }
  return problems
}
