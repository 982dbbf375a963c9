import { describe, expect, it } from 'vitest'
import { makeViewer } from '../../src/dev/audience.ts'
import { TITLES } from '../../src/dev/catalogue.ts'
import { simulateView } from '../../src/dev/player-model.ts'
import { Random } from '../../src/dev/random.ts'
import { createEventValidator } from '../../src/dictionary/event-validator.ts'
import type { PlayerEvent } from '../../src/event.ts'

const START = Date.UTC(2026, 2, 1, 12)

/** Views of many viewers, with ids from a counter so that the whole output is reproducible. */
function simulate(seed: number, views: number): PlayerEvent[][] {
  const rng = new Random(seed)
  let id = 0
  const newId = () => `00000000-0000-4000-8000-${(id++).toString(16).padStart(12, '0')}`
  return Array.from({ length: views }, (_, i) =>
    simulateView(rng, {
      viewer: makeViewer(rng, i % 20),
      title: TITLES[i % TITLES.length] ?? (TITLES[0] as never),
      sessionId: `session-${i % 20}`,
      viewId: `view-${i}`,
      startTs: START + i * 1000,
      firstOfPlayer: i < 20,
      newId,
    }),
  )
}

const views = simulate(42, 300)
const events = views.flat()
// biome-ignore lint/suspicious/noExplicitAny: assertions read payload fields of many event types by name.
type AnyEvent = PlayerEvent & Record<string, any>
const ofType = (type: string) => events.filter((e) => e.type === type) as AnyEvent[]

describe('player model', () => {
  it('produces only events the ingest accepts', () => {
    const validator = createEventValidator()
    const invalid = events
      .map((event) => ({ event, issues: validator.validateEvent(event) }))
      .filter((r) => r.issues.length > 0)
    expect(invalid.slice(0, 3)).toEqual([])
    expect(events.length).toBeGreaterThan(300 * 10)
  })

  it('numbers each view from seq 0 without gaps, in time order, from view_start to view_end', () => {
    for (const view of views) {
      expect(view.map((e) => e.seq)).toEqual(view.map((_, i) => i))
      for (let i = 1; i < view.length; i++) expect(view[i]?.ts).toBeGreaterThanOrEqual(view[i - 1]?.ts ?? 0)
      expect(view.find((e) => e.type !== 'player_ready')?.type).toBe('view_start')
      expect(view.at(-1)?.type).toBe('view_end')
      expect(new Set(view.map((e) => e.view_id)).size).toBe(1)
    }
  })

  it('starts up with a start-up time, after a pre-roll for some views', () => {
    const starts = ofType('playback_start')
    expect(starts.length).toBeGreaterThan(250)
    for (const e of starts) expect(e.startup.time_to_first_frame_ms).toBeGreaterThan(0)
    const afterAd = starts.filter((e) => e.startup.first_frame_media === 'ad')
    expect(afterAd.length).toBeGreaterThan(10)
    for (const e of afterAd)
      expect(e.startup.content_startup_ms).toBeGreaterThan(e.startup.time_to_first_frame_ms + 5_000)
  })

  it('moves up and down the rendition ladder', () => {
    const changes = ofType('rendition_change').map((e) => e.rendition)
    expect(changes.filter((r) => r.reason === 'initial').length).toBeGreaterThan(250)
    expect(changes.filter((r) => r.bitrate_kbps > r.previous_bitrate_kbps).length).toBeGreaterThan(20)
    expect(changes.filter((r) => r.bitrate_kbps < r.previous_bitrate_kbps).length).toBeGreaterThan(20)
  })

  it('stalls, seeks and pauses, with durations, and counts them in the metrics', () => {
    const ends = ofType('buffer_end')
    const stalls = ends.filter((e) => e.buffer.cause === 'stall')
    expect(stalls.length).toBeGreaterThan(20)
    for (const e of ends) expect(e.buffer.duration_ms).toBeGreaterThanOrEqual(0)
    expect(ends.filter((e) => e.buffer.cause === 'seek').length).toBeGreaterThan(20)
    expect(ofType('seek_end').every((e) => e.seek.duration_ms >= 0)).toBe(true)
    expect(ofType('pause').length).toBeGreaterThan(20)

    const metrics = [...ofType('heartbeat'), ...ofType('view_end')].map((e) => e.metrics)
    const sum = (key: string) => metrics.reduce((n, m) => n + (m[key] ?? 0), 0)
    expect(sum('stall_count')).toBe(stalls.length)
    expect(Math.abs(sum('stall_ms') - stalls.reduce((n, e) => n + e.buffer.duration_ms, 0))).toBeLessThan(
      metrics.length,
    )
    expect(sum('seek_count')).toBe(ofType('seek_end').length)
  })

  it('sends heartbeats every 10 s carrying the metrics of the interval', () => {
    const beats = ofType('heartbeat')
    expect(beats.length).toBeGreaterThan(300)
    for (const e of beats) {
      expect(e.metrics.interval_ms).toBe(10_000)
      const parts = ['playing_ms', 'ad_playing_ms', 'paused_ms', 'buffering_ms'].map((k) => e.metrics[k])
      expect(parts.reduce((a: number, b: number) => a + b, 0)).toBeLessThanOrEqual(10_000)
    }
  })

  it('plays ad breaks: start, each ad started and completed or skipped, end', () => {
    expect(ofType('ad_break_start').length).toBe(ofType('ad_break_end').length)
    expect(ofType('ad_break_start').length).toBeGreaterThan(50)
    expect(ofType('ad_start').length).toBe(
      ofType('ad_complete').length + ofType('ad_skip').length + ofType('ad_error').length,
    )
    expect(ofType('ad_complete').length).toBeGreaterThan(50)
    expect(ofType('ad_skip').length).toBeGreaterThan(5)
    expect(new Set(ofType('ad_break_start').map((e) => e.ad_break.position))).toEqual(new Set(['pre', 'mid']))
  })

  it('reports recoverable and fatal errors; a fatal one ends the view', () => {
    const errors = ofType('error')
    expect(errors.filter((e) => !e.error.fatal).length).toBeGreaterThan(10)
    const fatal = errors.filter((e) => e.error.fatal)
    expect(fatal.length).toBeGreaterThan(3)
    expect(new Set(fatal.map((e) => e.error.category))).toEqual(new Set(['business', 'technical']))
    for (const e of fatal) {
      const view = views.find((v) => v[0]?.view_id === e.view_id) ?? []
      expect(view.at(-1)).toMatchObject({ type: 'view_end', view: { end_reason: 'error' }, seq: e.seq + 1 })
    }
  })

  it('ends views by watching to the end or leaving, with milestones on the way', () => {
    const reasons = new Set(ofType('view_end').map((e) => e.view.end_reason))
    for (const reason of ['ended', 'user_exit', 'error']) expect(reasons).toContain(reason)
    expect(ofType('ended').length).toBeGreaterThan(10)
    expect(ofType('milestone').some((e) => e.milestone.percent === 100)).toBe(true)
    expect(ofType('milestone').some((e) => e.milestone.kind === 'time')).toBe(true)
  })

  it('is reproducible from its seed', () => {
    expect(simulate(42, 20)).toEqual(views.slice(0, 20))
    expect(simulate(43, 20)).not.toEqual(views.slice(0, 20))
  })
})
