import { type Static, Type } from '@sinclair/typebox'
import type { Outcome } from '../../src/worker/connector.ts'
import { defineHttpConnector, httpOutcomes } from '../../src/worker/http-connector.ts'
import { compress } from '../common/compression.ts'
import {
  ConnectorSettings,
  EventNamingSetting,
  RegionSettings,
  regionUrl,
  StringEnum,
} from '../common/settings.ts'
import { outcomesFor400 } from './response.ts'
import { type MixpanelEvent, toMixpanel } from './transform.ts'

// https://developer.mixpanel.com/reference/import-events (OpenAPI servers): api (US), api-eu, api-in. Data sent
// to the wrong residency host is not stored in the project.
export const ENDPOINTS = {
  us: 'https://api.mixpanel.com/import',
  eu: 'https://api-eu.mixpanel.com/import',
  in: 'https://api-in.mixpanel.com/import',
} as const

// Same page: "up to 2000 events and 10MB uncompressed per request" (an older version said 2MB), "Each event
// must be smaller than 1MB of uncompressed JSON". Decimal megabytes, to stay on the safe side.
export const DEFAULTS = {
  max_events_per_request: 2000,
  max_request_bytes: 10_000_000,
  max_event_bytes: 1_000_000,
} as const
// Same page, "Rate Limit": back off from 2 s on 429 (and 502/503), doubling up to 60 s.
export const MIN_BACKOFF_MS = 2_000

export const settingsSchema = ConnectorSettings({
  project_id: Type.String({
    pattern: '^[0-9]+$',
    description: 'Mixpanel project id, sent as the project_id query parameter.',
  }),
  service_account_username: Type.String({
    minLength: 1,
    description: 'Username of an Owner or Admin service account (HTTP Basic user).',
  }),
  service_account_secret: Type.String({
    minLength: 1,
    description: 'Secret of that service account (HTTP Basic password). Interpolate it from the environment.',
  }),
  ...RegionSettings(['us', 'eu', 'in'], {
    region: 'Data residency of the project: us → api.mixpanel.com, eu → api-eu, in → api-in.',
    server_url: 'Full /import URL overriding `region` (a proxy, or a stand-in in tests).',
  }),
  event_naming: EventNamingSetting(
    'Event name: "title" turns buffer_start into "Video Buffer Start"; "raw" keeps "buffer_start".',
  ),
  forward_client_ip: Type.Boolean({
    default: false,
    description:
      'Send the client IP as `ip` so Mixpanel adds city/country; otherwise `ip: 0` turns GeoIP off.',
  }),
  compression: StringEnum(['gzip', 'none'] as const, {
    default: 'gzip',
    description:
      'Request body encoding; Mixpanel recommends gzip (limits still apply to the uncompressed size).',
  }),
  max_events_per_request: Type.Integer({
    minimum: 1,
    maximum: 2000,
    default: DEFAULTS.max_events_per_request,
    description: 'Events per request (Mixpanel documents 2000).',
  }),
  max_request_bytes: Type.Integer({
    minimum: 1_000_000,
    default: DEFAULTS.max_request_bytes,
    description: 'Uncompressed request size (current docs: 10 MB; older docs: 2 MB).',
  }),
  max_event_bytes: Type.Integer({
    minimum: 1024,
    default: DEFAULTS.max_event_bytes,
    description: 'Largest event (uncompressed JSON); larger events are rejected before sending.',
  }),
})
export type MixpanelSettings = Static<typeof settingsSchema>

function endpoint(settings: MixpanelSettings): string {
  const url = new URL(regionUrl(settings, ENDPOINTS))
  url.searchParams.set('strict', '1')
  url.searchParams.set('project_id', settings.project_id)
  return url.toString()
}

function backoff(outcome: Outcome): Outcome {
  return outcome.kind === 'retry' ? { ...outcome, afterMs: outcome.afterMs ?? MIN_BACKOFF_MS } : outcome
}

export default defineHttpConnector<MixpanelSettings, MixpanelEvent>({
  type: 'mixpanel',
  description: 'Player events as Mixpanel events through the Import API (/import?strict=1).',
  settingsSchema,

  limits(settings) {
    // Brackets take 2 bytes; the runtime's record size counts each event's separating comma.
    return { maxItems: settings.max_events_per_request, maxBytes: settings.max_request_bytes - 2 }
  },

  // Mixpanel drops repeats of (event, time, distinct_id, $insert_id); the transform is deterministic, so a
  // redelivered event repeats all four.
  transform: (event, settings) => toMixpanel(event, settings),

  // One such event makes Mixpanel refuse the whole request with a 413.
  refuse(item, settings) {
    const bytes = Buffer.byteLength(JSON.stringify(item.record))
    return bytes >= settings.max_event_bytes
      ? `event of ${bytes} bytes: Mixpanel accepts events under ${settings.max_event_bytes}`
      : undefined
  },

  async request(items, settings) {
    const json = `[${items.map((item) => JSON.stringify(item.record)).join(',')}]`
    const auth = Buffer.from(
      `${settings.service_account_username}:${settings.service_account_secret}`,
    ).toString('base64')
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: `Basic ${auth}`,
    }
    if (settings.compression === 'gzip') headers['content-encoding'] = 'gzip'
    return {
      url: endpoint(settings),
      headers,
      body: await compress(json, settings.compression),
      maxResponseBytes: 256 * 1024,
    }
  },

  classify(res, items) {
    if (res.statusCode === 400) {
      return {
        outcomes: outcomesFor400(
          items.map((item) => item.record),
          res.text,
        ),
      }
    }
    // 401 "Invalid credentials" (wrong service account, a role below Admin, a missing project_id) pauses
    // (https://docs.mixpanel.com/troubleshooting/errors/401-unauthorized; /import answers no 403, but a 403
    // from a proxy pauses too); 413 splits; 429 and 5xx are retried after Retry-After, or at least 2 s as
    // Mixpanel advises.
    const generic = httpOutcomes(res, items.length)
    return { ...generic, outcomes: generic.outcomes.map(backoff) }
  },
})
