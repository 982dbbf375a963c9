import { defineConnector, type Outcome, SKIP } from '../../src/worker/connector.ts'
import { outcomeForStatus, outcomesForAll } from '../../src/worker/http-outcome.ts'
import { compress } from '../common/compression.ts'
import type { EventNaming } from '../common/event-naming.ts'
import { post } from '../common/post.ts'
import { sendPrechecked } from '../common/send-prechecked.ts'
import { eventNamingSetting, excludeTypesSetting, httpUrlSetting } from '../common/settings.ts'
import { tooLargeResult } from '../common/too-large.ts'
import { outcomesFor400 } from './response.ts'
import { type MixpanelEvent, toMixpanel } from './transform.ts'

export interface MixpanelSettings {
  project_id: string
  service_account_username: string
  service_account_secret: string
  region: 'us' | 'eu' | 'in'
  server_url?: string
  event_naming: EventNaming
  exclude_types: string[]
  forward_client_ip: boolean
  compression: 'gzip' | 'none'
  max_events_per_request: number
  max_request_bytes: number
  max_event_bytes: number
}

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

export const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['project_id', 'service_account_username', 'service_account_secret'],
  properties: {
    project_id: {
      type: 'string',
      pattern: '^[0-9]+$',
      description: 'Mixpanel project id, sent as the project_id query parameter.',
    },
    service_account_username: {
      type: 'string',
      minLength: 1,
      description: 'Username of an Owner or Admin service account (HTTP Basic user).',
    },
    service_account_secret: {
      type: 'string',
      minLength: 1,
      description:
        'Secret of that service account (HTTP Basic password). Interpolate it from the environment.',
    },
    region: {
      type: 'string',
      enum: ['us', 'eu', 'in'],
      default: 'us',
      description: 'Data residency of the project: us → api.mixpanel.com, eu → api-eu, in → api-in.',
    },
    server_url: httpUrlSetting('Full /import URL overriding `region` (a proxy, or a stand-in in tests).'),
    event_naming: eventNamingSetting(
      'Event name: "title" turns buffer_start into "Video Buffer Start"; "raw" keeps "buffer_start".',
    ),
    exclude_types: excludeTypesSetting('Event types not sent to Mixpanel (e.g. ["heartbeat"]).'),
    forward_client_ip: {
      type: 'boolean',
      default: false,
      description:
        'Send the client IP as `ip` so Mixpanel adds city/country; otherwise `ip: 0` turns GeoIP off.',
    },
    compression: {
      type: 'string',
      enum: ['gzip', 'none'],
      default: 'gzip',
      description:
        'Request body encoding; Mixpanel recommends gzip (limits still apply to the uncompressed size).',
    },
    max_events_per_request: {
      type: 'integer',
      minimum: 1,
      maximum: 2000,
      default: DEFAULTS.max_events_per_request,
      description: 'Events per request (Mixpanel documents 2000).',
    },
    max_request_bytes: {
      type: 'integer',
      minimum: 1_000_000,
      default: DEFAULTS.max_request_bytes,
      description: 'Uncompressed request size (current docs: 10 MB; older docs: 2 MB).',
    },
    max_event_bytes: {
      type: 'integer',
      minimum: 1024,
      default: DEFAULTS.max_event_bytes,
      description: 'Largest event (uncompressed JSON); larger events are rejected before sending.',
    },
  },
} as const

function endpoint(settings: MixpanelSettings): string {
  const url = new URL(settings.server_url ?? ENDPOINTS[settings.region])
  url.searchParams.set('strict', '1')
  url.searchParams.set('project_id', settings.project_id)
  return url.toString()
}

function backoff(outcome: Outcome): Outcome {
  return outcome.kind === 'retry' ? { ...outcome, afterMs: outcome.afterMs ?? MIN_BACKOFF_MS } : outcome
}

export default defineConnector<MixpanelSettings, MixpanelEvent>({
  type: 'mixpanel',
  description: 'Player events as Mixpanel events through the Import API (/import?strict=1).',
  settingsSchema,

  limits(settings) {
    // Brackets take 2 bytes; recordBytes counts each event's separating comma.
    return { maxItems: settings.max_events_per_request, maxBytes: settings.max_request_bytes - 2 }
  },

  // Mixpanel drops repeats of (event, time, distinct_id, $insert_id); the transform is deterministic, so a
  // redelivered event repeats all four.
  dedupeKey: (event) => event.event_id,

  transform(event, settings) {
    if (settings.exclude_types.includes(event.type)) return SKIP
    return toMixpanel(event, settings)
  },

  recordBytes: (record) => Buffer.byteLength(JSON.stringify(record)) + 1,

  async send(batch, ctx) {
    const { settings } = ctx
    const encoded = batch.map((item) => ({ record: item.record, json: JSON.stringify(item.record) }))
    // One such event makes Mixpanel refuse the whole request with a 413.
    const refusal = ({ json }: (typeof encoded)[number]) => {
      const bytes = Buffer.byteLength(json)
      return bytes >= settings.max_event_bytes
        ? `event of ${bytes} bytes: Mixpanel accepts events under ${settings.max_event_bytes}`
        : undefined
    }

    const url = endpoint(settings)
    const auth = Buffer.from(
      `${settings.service_account_username}:${settings.service_account_secret}`,
    ).toString('base64')
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: `Basic ${auth}`,
    }
    if (settings.compression === 'gzip') headers['content-encoding'] = 'gzip'
    return sendPrechecked(encoded, refusal, async (items) => {
      const json = `[${items.map((item) => item.json).join(',')}]`
      const res = await post(
        url,
        {
          headers,
          body: await compress(json, settings.compression),
          maxResponseBytes: 256 * 1024,
        },
        ctx,
      )
      const text = res.text
      switch (res.statusCode) {
        case 200:
          return { outcomes: outcomesForAll(items.length, { kind: 'delivered' }) }
        case 400:
          return {
            outcomes: outcomesFor400(
              items.map((item) => item.record),
              text,
            ),
          }
        case 413:
          // Split and resend; one event that is still too large is rejected.
          return tooLargeResult(items.length, 'Mixpanel 413: payload too large', text)
        default:
          // 429 and 5xx are retried, after Retry-After or at least 2 s as Mixpanel advises; 401/403
          // (credentials, project) are rejected.
          return {
            outcomes: outcomesForAll(
              items.length,
              backoff(outcomeForStatus({ status: res.statusCode, body: text, headers: res.headers })),
            ),
          }
      }
    })
  },
})
