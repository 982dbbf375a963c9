import type { PlayerEvent } from '../event.ts'
import type { Viewer } from './audience.ts'
import { AD_CREATIVES, LADDER, type Title } from './catalogue.ts'
import type { Random } from './random.ts'

/**
 * One simulated view as a timeline of data-dictionary events (collectors-schema/): start-up with its
 * timings, pre- and mid-roll ad breaks, an adaptive rendition ladder, stalls, seeks, pauses, recoverable and
 * fatal errors, milestones, heartbeats every 10 s carrying the metrics since the previous one, and the view
 * end with the tail. Pure: the same generator state and ids give the same events.
 */

export interface ViewInput {
  viewer: Viewer
  title: Title
  sessionId: string
  viewId: string
  /** Epoch ms of the play request. */
  startTs: number
  /** The SDK opens the player's first view when it attaches, so that view carries player_ready. */
  firstOfPlayer: boolean
  newId: () => string
}

const HEARTBEAT_MS = 10_000
const SEGMENT_MS = 4_000
const PERCENTS = [10, 25, 50, 75, 90, 95, 100] as const
/** A "qualified view": this much content watched. */
const QUALIFIED_MS = 30_000

/** Each player names its errors its own way (prefix recommended by the dictionary). */
const ERROR_CODES: Record<string, { recoverable: string; fatal: string }> = {
  'hls.js': { recoverable: 'hlsjs:fragLoadError', fatal: 'hlsjs:bufferAppendError' },
  AVPlayer: { recoverable: 'avplayer:-12889', fatal: 'avplayer:-11819' },
  ExoPlayer: { recoverable: 'exoplayer:2004', fatal: 'exoplayer:4003' },
  'shaka-player': { recoverable: 'shaka:1001', fatal: 'shaka:3016' },
}

/** `waiting` is time in no metric of its own (a request, a seek): it counts in interval_ms only. */
type Activity = 'playing' | 'ad' | 'paused' | 'waiting' | 'buffering' | 'stall'
type State = 'idle' | 'starting' | 'playing' | 'paused' | 'seeking' | 'buffering' | 'ended' | 'error'
type EndReason = 'ended' | 'user_exit' | 'unload' | 'new_content' | 'error'

/** The `metrics` of the dictionary, accumulated since the last heartbeat (fractions rounded on output). */
const emptyMetrics = () => ({
  interval_ms: 0,
  playing_ms: 0,
  ad_playing_ms: 0,
  paused_ms: 0,
  buffering_ms: 0,
  buffering_count: 0,
  stall_ms: 0,
  stall_count: 0,
  seek_count: 0,
  dropped_frames: 0,
  decoded_frames: 0,
  bytes: 0,
  request_count: 0,
  request_failures: 0,
  rendition_change_count: 0,
})

export function simulateView(rng: Random, input: ViewInput): PlayerEvent[] {
  return new ViewTimeline(rng, input).play()
}

class ViewTimeline {
  readonly #events: PlayerEvent[] = []
  readonly #content: Title['content']
  /** Ms since the play request; integers throughout, so timestamps need no rounding. */
  #t = 0
  #seq = 0
  #state: State = 'idle'
  #playhead = 0
  #watched = 0
  #rendition = -1
  #bandwidth: number
  #metrics = emptyMetrics()
  #bitrateMs = 0
  #nextHeartbeat = HEARTBEAT_MS
  #percentIndex = 0
  #qualified = false

  private readonly rng: Random
  private readonly input: ViewInput
  constructor(rng: Random, input: ViewInput) {
    this.rng = rng
    this.input = input
    this.#content = input.title.content
    this.#bandwidth = input.viewer.bandwidthKbps
  }

  play(): PlayerEvent[] {
    if (!this.#startUp()) return this.#events
    const target = Math.min(900_000, Math.max(5_000, this.rng.skewed(45_000, 0.9)))
    const duration = this.#content.duration_ms ?? Number.POSITIVE_INFINITY
    const midrollAt =
      this.input.title.ads && this.rng.chance(0.6) ? Math.round(Math.min(duration * 0.4, 40_000)) : -1
    let midrollDone = midrollAt < 0
    for (;;) {
      if (this.#playhead >= duration) return this.#end('ended')
      if (this.#watched >= target) return this.#end(this.rng.pick(['user_exit', 'new_content', 'unload']))
      const untilMidroll = midrollDone ? Number.POSITIVE_INFINITY : Math.max(0, midrollAt - this.#playhead)
      this.#spend(
        Math.min(
          this.rng.skewed(9_000, 0.6),
          target - this.#watched,
          duration - this.#playhead,
          untilMidroll,
        ),
        'playing',
      )
      if (!midrollDone && this.#playhead >= midrollAt) {
        midrollDone = true
        this.#adBreak('mid', 1)
      } else if (this.#playhead < duration && this.#watched < target && !this.#incident()) {
        return this.#events
      }
    }
  }

  /** player_ready, view_start, manifest, optional pre-roll, initial buffering, first frame. */
  #startUp(): boolean {
    const { viewer } = this.input
    const playerStartup = this.rng.skewed(180, 0.4)
    if (this.input.firstOfPlayer)
      this.#emit('player_ready', { startup: { player_startup_ms: playerStartup } })
    this.#state = 'starting'
    this.#emit(
      'view_start',
      {
        content: this.#content,
        device: viewer.device,
        network: viewer.network,
        cdn: viewer.cdn,
        user: viewer.user,
        ...(viewer.page ? { page: viewer.page } : {}),
        custom: { experiment: 'player-v2', ab_bucket: this.rng.int(0, 9) },
      },
      { ...viewer.player, autoplay: this.rng.chance(0.3), muted: false, volume: 0.8 },
    )
    this.#spend(this.rng.skewed(120 + viewer.network.rtt_ms, 0.3), 'waiting')
    // A refusal by the business (rights, entitlement) ends the view before anything plays.
    if (this.rng.chance(0.02)) {
      this.#fail({
        code: this.rng.pick(['geo:blocked', 'entitlement:no-subscription', 'drm:license-expired']),
        message: 'Playback is not allowed for this viewer',
        category: 'business',
      })
      return false
    }
    this.#mediaRequest('manifest', 200)
    let firstFrame: number | undefined
    if (this.input.title.ads && this.rng.chance(0.4)) {
      this.#spend(this.rng.skewed(600, 0.4), 'waiting')
      const adStarted = this.#t
      // An ad that failed to play rendered no frame: the first frame is then the content's.
      if (this.#adBreak('pre', 0)) firstFrame = adStarted
    }
    this.#switchTo(this.#ladderIndex(0.5), 'initial')
    this.#buffer('initial', this.rng.skewed(700 + 3 * viewer.network.rtt_ms, 0.5))
    this.#state = 'playing'
    this.#emit('playback_start', {
      startup: {
        time_to_first_frame_ms: firstFrame ?? this.#t,
        content_startup_ms: this.#t,
        first_frame_media: firstFrame === undefined ? 'content' : 'ad',
        player_startup_ms: playerStartup,
      },
    })
    return true
  }

  /** Something happens while playing; false when it ended the view. */
  #incident(): boolean {
    this.#bandwidth = this.rng.skewed(this.input.viewer.bandwidthKbps, 0.35)
    const bitrate = LADDER[this.#rendition]?.bitrate_kbps ?? 0
    const target = this.#ladderIndex(0.8)
    const live = this.#content.stream_type === 'live'
    const incident = this.rng.weighted([
      ['nothing', 2],
      // Stalls grow with the share of the bandwidth the rendition takes.
      ['stall', Math.min(2, 0.1 + 2 * (bitrate / this.#bandwidth) ** 2)],
      ['abr', target === this.#rendition ? 0 : 2],
      ['seek', live ? 0 : 0.8],
      ['pause', 0.6],
      ['recoverable_error', 0.3],
      ['fatal_error', 0.05],
    ] as const)
    switch (incident) {
      case 'stall':
        this.#buffer('stall', this.rng.skewed(1_200, 0.7))
        if (this.#rendition > 0 && this.rng.chance(0.7)) this.#switchTo(this.#rendition - 1, 'abr')
        return true
      case 'abr':
        this.#switchTo(this.#rendition + Math.sign(target - this.#rendition), 'abr')
        return true
      case 'seek':
        this.#seek()
        return true
      case 'pause':
        this.#state = 'paused'
        this.#emit('pause')
        this.#spend(this.rng.skewed(5_000, 0.8), 'paused')
        this.#resume()
        return true
      case 'recoverable_error':
        this.#recoverableError()
        return true
      case 'fatal_error':
        this.#fail({
          code: this.#errorCodes().fatal,
          message: 'The media pipeline failed and playback stopped',
          category: 'technical',
        })
        return false
      default:
        return true
    }
  }

  #buffer(cause: 'initial' | 'seek' | 'stall', durationMs: number) {
    this.#state = 'buffering'
    this.#metrics.buffering_count++
    if (cause === 'stall') this.#metrics.stall_count++
    this.#emit('buffer_start', { buffer: { cause } })
    this.#spend(durationMs, cause === 'stall' ? 'stall' : 'buffering')
    this.#emit('buffer_end', { buffer: { cause, duration_ms: durationMs } })
    if (cause !== 'initial') this.#resume()
  }

  #resume() {
    this.#state = 'playing'
    this.#emit('playing')
  }

  #seek() {
    const from = this.#playhead
    const duration = this.#content.duration_ms ?? 0
    const jump = this.rng.skewed(40_000, 0.8) * (this.rng.chance(0.75) ? 1 : -1)
    const to = Math.max(0, Math.min(duration - 5_000, from + jump))
    this.#state = 'seeking'
    this.#emit('seek_start', { seek: { from_ms: from } })
    const took = this.rng.skewed(200, 0.5)
    this.#spend(took, 'waiting')
    this.#playhead = to
    this.#metrics.seek_count++
    // Milestones jumped over are not reported: the viewer did not watch them.
    while (this.#percentPosition() <= this.#playhead) this.#percentIndex++
    this.#emit('seek_end', { seek: { from_ms: from, to_ms: to, duration_ms: took } })
    this.#buffer('seek', this.rng.skewed(450, 0.6))
  }

  #recoverableError() {
    const status = this.rng.pick([503, 504, 404])
    this.#metrics.request_failures++
    this.#mediaRequest('video', status)
    this.#emit('error', {
      error: {
        code: this.#errorCodes().recoverable,
        message: `Segment load failed (HTTP ${status}), retrying`,
        fatal: false,
        category: 'technical',
      },
    })
  }

  #fail(error: { code: string; message: string; category: 'business' | 'technical' }) {
    this.#state = 'error'
    this.#emit('error', { error: { ...error, fatal: true } })
    this.#end('error')
  }

  #end(reason: EndReason): PlayerEvent[] {
    if (reason === 'ended') {
      this.#state = 'ended'
      this.#emit('ended')
    }
    this.#emit('view_end', { view: { end_reason: reason }, metrics: this.#takeMetrics() })
    return this.#events
  }

  /** Plays an ad break; true when at least one ad played. */
  #adBreak(position: 'pre' | 'mid', index: number): boolean {
    const creatives = Array.from({ length: this.rng.int(1, 2) }, () => this.rng.pick(AD_CREATIVES))
    const adBreak = { id: `break-${index}`, position, index }
    const began = this.#t
    let played = false
    this.#emit('ad_break_start', {
      ad_break: {
        ...adBreak,
        time_offset_ms: this.#playhead,
        ad_count: creatives.length,
        duration_ms: creatives.reduce((sum, c) => sum + c.duration_ms, 0),
      },
    })
    for (const [i, creative] of creatives.entries()) {
      const ad = { ...creative, position_in_break: i + 1 }
      this.#emit('ad_start', { ad, ad_break: adBreak })
      if (this.rng.chance(0.05)) {
        const error = { code: 'vast:405', message: 'Problem displaying the media file', fatal: false }
        this.#emit('ad_error', { error: { ...error, category: 'technical' }, ad, ad_break: adBreak })
        continue
      }
      const skipped = ad.skip_offset_ms !== undefined && this.rng.chance(0.45)
      const playedMs = skipped
        ? Math.min(ad.duration_ms, (ad.skip_offset_ms ?? 0) + this.rng.skewed(1_500, 0.6))
        : ad.duration_ms
      this.#spend(playedMs, 'ad')
      played = true
      this.#emit(skipped ? 'ad_skip' : 'ad_complete', {
        ad: { ...ad, played_ms: playedMs },
        ad_break: adBreak,
      })
    }
    this.#emit('ad_break_end', { ad_break: { ...adBreak, duration_ms: this.#t - began } })
    return played
  }

  #switchTo(index: number, reason: 'initial' | 'abr') {
    const previous = LADDER[this.#rendition]
    const next = LADDER[index]
    if (!next || index === this.#rendition) return
    this.#rendition = index
    if (reason !== 'initial') this.#metrics.rendition_change_count++
    this.#emit('rendition_change', {
      rendition: {
        track: 'video',
        ...next,
        ...(previous
          ? {
              previous_bitrate_kbps: previous.bitrate_kbps,
              previous_width: previous.width,
              previous_height: previous.height,
            }
          : {}),
        reason,
      },
    })
  }

  /** The highest rendition whose bitrate fits in this share of the current bandwidth. */
  #ladderIndex(share: number): number {
    const fits = LADDER.findLastIndex((r) => r.bitrate_kbps <= share * this.#bandwidth)
    return Math.max(0, fits)
  }

  #mediaRequest(objectType: 'manifest' | 'video', status: number) {
    const ttfb = this.rng.skewed(this.input.viewer.network.rtt_ms + 20, 0.4)
    const ok = status < 400
    this.#metrics.request_count++
    this.#emit('media_request', {
      request: {
        host: this.input.viewer.cdn.edge_host,
        path: new URL(this.#content.url).pathname,
        object_type: objectType,
        result: ok ? 'completed' : 'failed',
        status,
        ttfb_ms: ttfb,
        duration_ms: ttfb + (ok ? this.rng.skewed(40, 0.5) : 0),
        ...(ok ? { bytes: this.rng.int(1_500, 6_000) } : { failure_reason: `HTTP ${status}` }),
        startup: this.#state === 'starting',
      },
    })
  }

  /**
   * Lets time pass in one activity: accrues the metrics, moves the playhead while playing, and emits the
   * heartbeats and milestones that fall inside, each at its own time.
   */
  #spend(ms: number, activity: Activity) {
    let left = ms
    while (left > 0) {
      const step = Math.min(
        left,
        this.#nextHeartbeat - this.#t,
        activity === 'playing' ? this.#untilMilestone() : left,
      )
      this.#accrue(step, activity)
      left -= step
      if (this.#t >= this.#nextHeartbeat) {
        this.#nextHeartbeat += HEARTBEAT_MS
        this.#emit('heartbeat', {
          metrics: this.#takeMetrics(),
        })
      }
      if (activity === 'playing') this.#reachMilestones()
    }
  }

  #accrue(ms: number, activity: Activity) {
    const m = this.#metrics
    const rendition = LADDER[this.#rendition]
    this.#t += ms
    m.interval_ms += ms
    if (activity === 'playing' || activity === 'ad') {
      const bitrate = rendition?.bitrate_kbps ?? LADDER[1]?.bitrate_kbps ?? 0
      // kbps × ms = bits.
      m.bytes += (bitrate * ms) / 8
      m.request_count += ms / SEGMENT_MS
      m.decoded_frames += ((rendition?.framerate ?? 25) * ms) / 1000
      // A few frames dropped when the rendition strains the device.
      if (this.rng.chance(0.1)) m.dropped_frames += this.rng.int(1, 12)
    }
    if (activity === 'playing') {
      m.playing_ms += ms
      this.#bitrateMs += (rendition?.bitrate_kbps ?? 0) * ms
      this.#playhead += ms
      this.#watched += ms
    } else if (activity === 'ad') m.ad_playing_ms += ms
    else if (activity === 'paused') m.paused_ms += ms
    else if (activity === 'buffering' || activity === 'stall') m.buffering_ms += ms
    if (activity === 'stall') m.stall_ms += ms
  }

  #takeMetrics() {
    const m = this.#metrics
    const out: Record<string, number> = {}
    for (const [key, value] of Object.entries(m)) out[key] = Math.round(value)
    if (m.playing_ms > 0) out.bitrate_avg_kbps = Math.round(this.#bitrateMs / m.playing_ms)
    out.throughput_avg_kbps = Math.round(this.#bandwidth)
    this.#metrics = emptyMetrics()
    this.#bitrateMs = 0
    return out
  }

  #percentPosition(): number {
    const percent = PERCENTS[this.#percentIndex]
    const duration = this.#content.duration_ms
    if (percent === undefined || duration === undefined) return Number.POSITIVE_INFINITY
    return Math.round((percent / 100) * duration)
  }

  #untilMilestone(): number {
    const untilQualified = this.#qualified ? Number.POSITIVE_INFINITY : QUALIFIED_MS - this.#watched
    return Math.max(0, Math.min(this.#percentPosition() - this.#playhead, untilQualified))
  }

  #reachMilestones() {
    while (this.#percentPosition() <= this.#playhead) {
      const percent = PERCENTS[this.#percentIndex++]
      this.#emit('milestone', { milestone: { kind: 'percent', percent, position_ms: this.#playhead } })
    }
    if (!this.#qualified && this.#watched >= QUALIFIED_MS) {
      this.#qualified = true
      this.#emit('milestone', {
        milestone: { kind: 'time', watched_ms: QUALIFIED_MS, position_ms: this.#playhead },
      })
    }
  }

  #errorCodes() {
    return (
      ERROR_CODES[this.input.viewer.player.name] ?? { recoverable: 'player:network', fatal: 'player:fatal' }
    )
  }

  #emit(type: string, payload: Record<string, unknown> = {}, player: Record<string, unknown> = {}) {
    const rendition = LADDER[this.#rendition]
    this.#events.push({
      event_id: this.input.newId(),
      type,
      ts: this.input.startTs + this.#t,
      session_id: this.input.sessionId,
      view_id: this.input.viewId,
      seq: this.#seq++,
      ...payload,
      player: {
        ...player,
        playhead_ms: this.#playhead,
        state: this.#state,
        ...(rendition ? { bitrate_kbps: rendition.bitrate_kbps } : {}),
      },
    })
  }
}
