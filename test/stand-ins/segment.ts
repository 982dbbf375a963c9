import { kit, type RecordedRequest, type StandIn, startStandIn } from './recorder.ts'

/**
 * Segment HTTP Tracking API stand-in (POST /v1/batch), enforcing the documented contract
 * (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/):
 *
 * - Content-Type application/json; write key as HTTP Basic user (`key:`) or `writeKey` in the body. No key →
 *   400; an unknown key → 200 `{"success":true}` with every event dropped (Segment does not check keys at
 *   the edge: segmentio/analytics-node#59, analytics-go#205);
 * - a body over 500 KB, an event over 32 KB or invalid JSON → 400; more than 2500 events → 200, the extra
 *   events dropped;
 * - per event (dropped silently, with a 200, like Segment): a valid `type`, `userId` or `anonymousId`, an
 *   `event` name for track calls, a `messageId` under 100 characters. Events repeating a messageId are
 *   deduplicated (`duplicatesDropped()`).
 *
 * Video Spec conformance (https://segment.com/docs/connections/spec/video/) is checked too: a track call named
 * like a spec event must carry the spec's property types (position in integer seconds, sound 0–100…);
 * breaches are listed in `specViolations` (Segment itself would pass them on to destinations unchanged).
 * KB are read as 1000 bytes, the strictest reading.
 */

export interface SegmentStandInOptions {
  writeKey: string
  maxBatchBytes?: number
  maxEventBytes?: number
  maxEvents?: number
}

export interface SegmentAccepted {
  message: Record<string, unknown>
  request: RecordedRequest | undefined
}

export interface SegmentStandIn extends StandIn {
  /** What to configure as the connector's `server_url`. */
  endpoint: string
  accepted: SegmentAccepted[]
  dropped: { message: unknown; reason: string }[]
  specViolations: string[]
  uniqueCount(): number
  duplicatesDropped(): number
}

type Check = (value: unknown) => boolean
const str: Check = (v) => typeof v === 'string'
const int: Check = (v) => Number.isInteger(v)
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v)
const bool: Check = (v) => typeof v === 'boolean'
const strs: Check = (v) => Array.isArray(v) && v.every(str)
const either =
  (...checks: Check[]): Check =>
  (v) =>
    checks.some((check) => check(v))
const oneOf =
  (...values: string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v)
const nullable = (check: Check): Check => either(check, (v) => v === null)
const adType = oneOf('pre-roll', 'mid-roll', 'post-roll')

const PLAYBACK: Record<string, Check> = {
  session_id: str,
  content_asset_id: str,
  content_asset_ids: strs,
  content_pod_id: str,
  content_pod_ids: strs,
  ad_asset_id: either(str, strs),
  ad_pod_id: either(str, strs),
  ad_type: either(adType, (v) => Array.isArray(v) && v.every(adType)),
  position: int,
  total_length: nullable(int),
  bitrate: int,
  framerate: num,
  video_player: str,
  sound: (v) => int(v) && (v as number) >= 0 && (v as number) <= 100,
  full_screen: bool,
  ad_enabled: bool,
  quality: str,
  method: str,
  livestream: bool,
}
const CONTENT: Record<string, Check> = {
  session_id: str,
  asset_id: str,
  pod_id: str,
  title: str,
  description: str,
  keywords: strs,
  season: str,
  episode: str,
  genre: str,
  program: str,
  publisher: str,
  position: int,
  total_length: nullable(int),
  channel: str,
  full_episode: bool,
  livestream: bool,
  airdate: str,
  bitrate: int,
  framerate: num,
}
const AD: Record<string, Check> = {
  session_id: str,
  asset_id: str,
  pod_id: str,
  pod_position: int,
  pod_length: int,
  type: adType,
  title: str,
  publisher: str,
  position: int,
  total_length: int,
  load_type: oneOf('linear', 'dynamic'),
  content: (v) =>
    kit.isRecord(v) && Object.entries(v).every(([k, item]) => !(k in CONTENT) || CONTENT[k]?.(item)),
  quartile: (v) => v === 1 || v === 2 || v === 3,
}
const QUALITY: Record<string, Check> = { bitrate: int, framerate: num, startupTime: num, droppedFrames: int }

const SPEC: Record<string, Record<string, Check>> = {
  ...Object.fromEntries(
    [
      'Started',
      'Paused',
      'Interrupted',
      'Buffer Started',
      'Buffer Completed',
      'Seek Started',
      'Seek Completed',
      'Resumed',
      'Completed',
      'Exited',
    ].map((name) => [`Video Playback ${name}`, PLAYBACK]),
  ),
  'Video Content Started': CONTENT,
  'Video Content Playing': CONTENT,
  'Video Content Completed': CONTENT,
  'Video Ad Started': AD,
  'Video Ad Playing': AD,
  'Video Ad Completed': AD,
  'Video Quality Updated': QUALITY,
}

const TYPES = new Set(['identify', 'track', 'page', 'screen', 'group', 'alias'])

function basicUser(header: string | undefined): string | undefined {
  if (!header?.startsWith('Basic ')) return undefined
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8')
  // "Include a colon before encoding. While encoding the write key without a colon might work…"
  return decoded.endsWith(':') ? decoded.slice(0, -1) : decoded
}

export async function startSegmentStandIn(options: SegmentStandInOptions): Promise<SegmentStandIn> {
  const maxBatchBytes = options.maxBatchBytes ?? 500_000
  const maxEventBytes = options.maxEventBytes ?? 32_000
  const maxEvents = options.maxEvents ?? 2500
  const accepted: SegmentAccepted[] = []
  const dropped: { message: unknown; reason: string }[] = []
  const specViolations: string[] = []
  const messageIds = new Set<string>()
  let duplicates = 0

  function checkSpec(message: Record<string, unknown>) {
    const rules = typeof message.event === 'string' ? SPEC[message.event] : undefined
    if (!rules) return
    const properties = kit.isRecord(message.properties) ? message.properties : {}
    if (rules !== QUALITY && typeof properties.session_id !== 'string') {
      specViolations.push(`${message.event}: session_id is missing`)
    }
    for (const [key, value] of Object.entries(properties)) {
      const check = rules[key]
      if (check && !check(value)) specViolations.push(`${message.event}: ${key} = ${JSON.stringify(value)}`)
    }
  }

  /** Why Segment would drop a message while answering 200, or undefined. */
  function dropReason(message: unknown, index: number, key: string): string | undefined {
    if (key !== options.writeKey) return 'invalid write key'
    if (index >= maxEvents) return `more than ${maxEvents} events in the batch`
    if (!kit.isRecord(message) || typeof message.type !== 'string' || !TYPES.has(message.type))
      return 'invalid type'
    if (!message.userId && !message.anonymousId) return 'no_user_anon_id'
    if (message.type === 'track' && (typeof message.event !== 'string' || message.event === '')) {
      return 'track event is missing name'
    }
    const messageId = message.messageId
    if (messageId !== undefined && (typeof messageId !== 'string' || messageId.length >= 100)) {
      return 'messageId must be a string of fewer than 100 characters'
    }
    return undefined
  }

  const base = await startStandIn({
    faultBody: () => ({ success: false }),
    routes(app, recordOf) {
      app.post('/v1/batch', async (request, reply) => {
        const bad = (error: string) => reply.code(400).send({ success: false, error })
        if (kit.mediaType(request.headers['content-type']) !== 'application/json')
          return bad('content-type must be application/json')
        const raw = kit.bodyBytes(request)
        if (raw.length > maxBatchBytes) return bad('batch payload is too large')
        const parsed = kit.parseJson(raw)
        if (!parsed.ok || !kit.isRecord(parsed.value)) return bad('invalid JSON')
        const body = parsed.value
        const key =
          basicUser(request.headers.authorization) ?? (typeof body.writeKey === 'string' ? body.writeKey : '')
        if (key === '') return bad('missing write key')
        if (!Array.isArray(body.batch)) return bad('batch must be an array')
        if (
          body.batch.some((message: unknown) => Buffer.byteLength(JSON.stringify(message)) > maxEventBytes)
        ) {
          return bad('event payload is too large')
        }

        const record = recordOf(request)
        for (const [index, message] of (body.batch as unknown[]).entries()) {
          const reason = dropReason(message, index, key)
          if (reason) {
            dropped.push({ message, reason })
            continue
          }
          const item = message as Record<string, unknown>
          if (typeof item.messageId === 'string') {
            if (messageIds.has(item.messageId)) {
              duplicates += 1
              continue
            }
            messageIds.add(item.messageId)
          }
          checkSpec(item)
          accepted.push({ message: item, request: record })
        }
        return reply.code(200).send({ success: true })
      })
    },
  })

  return {
    ...base,
    endpoint: `${base.url}/v1/batch`,
    accepted,
    dropped,
    specViolations,
    uniqueCount: () => messageIds.size,
    duplicatesDropped: () => duplicates,
  }
}
