import { kit, type RecordedRequest, type StandIn, startStandIn } from './recorder.ts'
import { redeliveries } from './redeliveries.ts'

/**
 * GA4 Measurement Protocol stand-in, enforcing the documented rules
 * (https://developers.google.com/analytics/devguides/collection/protocol/ga4/reference,
 * …/sending-events#limitations, …/validating-events):
 *
 * - POST /mp/collect?measurement_id=…&api_secret=… answers 204 whatever it receives, like GA4 ("returns a
 *   2xx status code if the HTTP request is received"), but sorts every event into `kept` (GA4 records it as
 *   sent) or `dropped` (with the broken rules: GA4 drops or alters it): wrong measurement_id/api_secret,
 *   malformed JSON, a body of 130 kB or more, more than 25 events, a missing or malformed client_id, invalid or
 *   reserved event/param names, more than 25 params, values over 100 characters, timestamps over 72 h old;
 * - POST /debug/mp/collect validates the same body and answers 200 `{validationMessages:[{fieldPath,
 *   description, validationCode}]}` without recording anything (and, like GA4's, without checking api_secret).
 *
 * GA4 has no dedupe: every kept event counts; `duplicateCount()` shows redeliveries by the event_id param.
 */

export interface Ga4StandInOptions {
  measurementId: string
  apiSecret: string
  maxEvents?: number
  maxParams?: number
  maxValueLength?: number
  maxBodyBytes?: number
  maxAgeHours?: number
}

export interface ValidationMessage {
  fieldPath: string
  description: string
  validationCode:
    | 'VALUE_INVALID'
    | 'VALUE_REQUIRED'
    | 'NAME_INVALID'
    | 'NAME_RESERVED'
    | 'VALUE_OUT_OF_BOUNDS'
    | 'EXCEEDED_MAX_ENTITIES'
}

export interface Ga4KeptEvent {
  client_id: string
  user_id: string | undefined
  name: string
  params: Record<string, unknown>
  timestamp_micros: number | undefined
  /** The request-level fields (client_id, user_id, device, consent…) the event came with. */
  body: Record<string, unknown>
  request: RecordedRequest | undefined
}

export interface Ga4DroppedEvent {
  event: unknown
  reasons: string[]
}

export interface Ga4StandIn extends StandIn {
  /** What to configure as the connector's `server_url`. */
  endpoint: string
  kept: Ga4KeptEvent[]
  dropped: Ga4DroppedEvent[]
  /** Distinct event_id params among kept events. */
  uniqueCount(): number
  /** Kept events whose event_id param was kept before (GA4 counts them twice). */
  duplicateCount(): number
}

// https://developers.google.com/analytics/devguides/collection/protocol/ga4/reference#reserved_names:
// the names the Measurement Protocol refuses (ad_impression, in_app_purchase, screen_view: app streams).
// Enhanced measurement's web names (click, scroll, page_view, video_*) are not among them.
const RESERVED_EVENTS = new Set([
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
const PARAM_PREFIXES = ['_', 'firebase_', 'ga_', 'google_', 'gtag.']
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/
const CLIENT_ID = /^[1-9]\d*\.[1-9]\d*$/

export async function startGa4StandIn(options: Ga4StandInOptions): Promise<Ga4StandIn> {
  const maxEvents = options.maxEvents ?? 25
  const maxParams = options.maxParams ?? 25
  const maxValueLength = options.maxValueLength ?? 100
  const maxBodyBytes = options.maxBodyBytes ?? 130_000
  const maxAgeMs = (options.maxAgeHours ?? 72) * 3_600_000
  const kept: Ga4KeptEvent[] = []
  const dropped: Ga4DroppedEvent[] = []
  const delivered = redeliveries()

  /** Validation messages for a body, and per event index the messages that concern it. */
  function validate(raw: Buffer): { messages: ValidationMessage[]; byEvent: Map<number, string[]> } {
    const messages: ValidationMessage[] = []
    const byEvent = new Map<number, string[]>()
    const add = (message: ValidationMessage, index?: number) => {
      messages.push(message)
      if (index === undefined) return
      const list = byEvent.get(index) ?? []
      list.push(message.description)
      byEvent.set(index, list)
    }
    if (raw.length >= maxBodyBytes) {
      add({
        fieldPath: '',
        description: 'Post body must be smaller than 130kB.',
        validationCode: 'VALUE_OUT_OF_BOUNDS',
      })
    }
    const parsed = kit.parseJson(raw)
    if (!parsed.ok || !kit.isRecord(parsed.value)) {
      add({
        fieldPath: '',
        description: 'Unable to parse Measurement Protocol JSON payload.',
        validationCode: 'VALUE_INVALID',
      })
      return { messages, byEvent }
    }
    const body = parsed.value
    if (typeof body.client_id !== 'string' || body.client_id === '') {
      add({ fieldPath: 'client_id', description: 'client_id is required.', validationCode: 'VALUE_REQUIRED' })
    } else if (!CLIENT_ID.test(body.client_id)) {
      add({
        fieldPath: 'client_id',
        description: `client_id [${body.client_id}] must be two positive numbers joined by a period.`,
        validationCode: 'VALUE_INVALID',
      })
    }
    if (body.user_id !== undefined && typeof body.user_id !== 'string') {
      add({ fieldPath: 'user_id', description: 'user_id must be a string.', validationCode: 'VALUE_INVALID' })
    }
    if (!Array.isArray(body.events) || body.events.length === 0) {
      add({ fieldPath: 'events', description: 'events is required.', validationCode: 'VALUE_REQUIRED' })
      return { messages, byEvent }
    }
    if (body.events.length > maxEvents) {
      add({
        fieldPath: 'events',
        description: `A request can have at most ${maxEvents} events.`,
        validationCode: 'EXCEEDED_MAX_ENTITIES',
      })
    }
    const oldest = Date.now() - maxAgeMs
    body.events.forEach((event: unknown, index: number) => {
      const at = `Event at index: [${index}]`
      if (!kit.isRecord(event)) {
        add(
          { fieldPath: 'events', description: `${at} is not an object.`, validationCode: 'VALUE_INVALID' },
          index,
        )
        return
      }
      const name = event.name
      if (typeof name !== 'string' || name === '') {
        add(
          { fieldPath: 'events', description: `${at} has no name.`, validationCode: 'VALUE_REQUIRED' },
          index,
        )
      } else if (!NAME.test(name)) {
        add(
          {
            fieldPath: 'events',
            description: `${at} has invalid name [${name}]. Names must start with an alphabetic character.`,
            validationCode: 'NAME_INVALID',
          },
          index,
        )
      } else if (RESERVED_EVENTS.has(name)) {
        add(
          {
            fieldPath: 'events',
            description: `${at} has reserved name [${name}].`,
            validationCode: 'NAME_RESERVED',
          },
          index,
        )
      }
      const ts = event.timestamp_micros
      if (ts !== undefined && (typeof ts !== 'number' || !Number.isInteger(ts))) {
        add(
          {
            fieldPath: 'events.timestamp_micros',
            description: `${at} has an invalid timestamp.`,
            validationCode: 'VALUE_INVALID',
          },
          index,
        )
      } else if (typeof ts === 'number' && ts / 1000 < oldest) {
        add(
          {
            fieldPath: 'events.timestamp_micros',
            description: `${at} has a timestamp more than 72 hours in the past.`,
            validationCode: 'VALUE_OUT_OF_BOUNDS',
          },
          index,
        )
      }
      if (event.params === undefined) return
      if (!kit.isRecord(event.params)) {
        add(
          {
            fieldPath: 'events.params',
            description: `${at} params must be an object.`,
            validationCode: 'VALUE_INVALID',
          },
          index,
        )
        return
      }
      const params = Object.entries(event.params)
      if (params.length > maxParams) {
        add(
          {
            fieldPath: 'events.params',
            description: `${at} has ${params.length} params; the limit is ${maxParams}.`,
            validationCode: 'EXCEEDED_MAX_ENTITIES',
          },
          index,
        )
      }
      for (const [param, value] of params) {
        if (!NAME.test(param)) {
          add(
            {
              fieldPath: 'events.params',
              description: `${at} has invalid param [${param}].`,
              validationCode: 'NAME_INVALID',
            },
            index,
          )
        } else if (param === 'firebase_conversion' || PARAM_PREFIXES.some((p) => param.startsWith(p))) {
          add(
            {
              fieldPath: 'events.params',
              description: `${at} has reserved param [${param}].`,
              validationCode: 'NAME_RESERVED',
            },
            index,
          )
        }
        if (typeof value === 'string' ? value.length > maxValueLength : typeof value !== 'number') {
          add(
            {
              fieldPath: `events.params.${param}`,
              description: `${at} param [${param}] must be a number or a string of at most ${maxValueLength} characters.`,
              validationCode: 'VALUE_OUT_OF_BOUNDS',
            },
            index,
          )
        }
      }
    })
    return { messages, byEvent }
  }

  const base = await startStandIn({
    faultBody: () => '',
    routes(app, recordOf) {
      app.post('/debug/mp/collect', async (request, reply) => {
        const raw = kit.bodyBytes(request)
        return reply.code(200).send({ validationMessages: validate(raw).messages })
      })

      app.post('/mp/collect', async (request, reply) => {
        const raw = kit.bodyBytes(request)
        const query = request.query as Record<string, string | undefined>
        const parsed = kit.parseJson(raw)
        const body = parsed.ok && kit.isRecord(parsed.value) ? parsed.value : {}
        const events: unknown[] = Array.isArray(body.events) ? body.events : [raw.toString('utf8')]
        const { messages, byEvent } = validate(raw)
        // Request-wide problems (credentials, body, client_id, event count) lose every event.
        const requestWide: string[] = []
        if (query.measurement_id !== options.measurementId) requestWide.push('unknown measurement_id')
        if (query.api_secret !== options.apiSecret) requestWide.push('invalid api_secret')
        for (const m of messages)
          if (!m.description.startsWith('Event at index')) requestWide.push(m.description)

        const record = recordOf(request)
        events.forEach((event, index) => {
          const reasons = [...requestWide, ...(byEvent.get(index) ?? [])]
          if (reasons.length > 0 || !kit.isRecord(event)) {
            dropped.push({ event, reasons })
            return
          }
          const params = kit.isRecord(event.params) ? event.params : {}
          const eventId = typeof params.event_id === 'string' ? params.event_id : undefined
          delivered.note(eventId)
          const { events: _events, ...fields } = body
          kept.push({
            client_id: body.client_id as string,
            user_id: typeof body.user_id === 'string' ? body.user_id : undefined,
            name: event.name as string,
            params,
            timestamp_micros: typeof event.timestamp_micros === 'number' ? event.timestamp_micros : undefined,
            body: fields,
            request: record,
          })
        })
        return reply.code(204).send()
      })
    },
  })

  return {
    ...base,
    endpoint: base.url,
    kept,
    dropped,
    ...delivered.counts,
  }
}
