import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { type Input, withDefaults } from '../../src/config/defaults.ts'
import { Sampling } from '../../src/config/schema.ts'
import { compileSampling, fmix32, fnv1a, viewHash } from '../../src/pipeline/sampling.ts'
import { makeView } from '../fixtures/events.ts'

/** A sampling block as written in the YAML, defaults filled in as the loader does. */
const sampling = (config: Input<typeof Sampling>) => compileSampling(withDefaults(Sampling, config))

const uuids = Array.from({ length: 20_000 }, () => randomUUID())

describe('sampling by view', () => {
  it('hashes with FNV-1a 32-bit and the murmur3 finaliser (reproducible elsewhere)', () => {
    // Published FNV-1a test vectors.
    expect(fnv1a('')).toBe(0x811c9dc5)
    expect(fnv1a('a')).toBe(0xe40c292c)
    expect(fnv1a('foobar')).toBe(0xbf9cf968)
    // Non-ASCII text hashes its UTF-8 bytes.
    expect(fnv1a('é')).toBe(Math.imul(Math.imul(0x811c9dc5 ^ 0xc3, 0x01000193) ^ 0xa9, 0x01000193) >>> 0)
    expect(viewHash('view-1')).toBe(fmix32(fnv1a('view-1')) / 2 ** 32)
    expect(viewHash('view-1', 'seed')).toBe(fmix32(fnv1a('seedview-1')) / 2 ** 32)
  })

  it('spreads random and sequential view ids evenly over [0, 1)', () => {
    const sequential = uuids.map((_, i) => `view-${i}`)
    for (const ids of [uuids, sequential]) {
      const hashes = ids.map((id) => viewHash(id))
      expect(hashes.every((h) => h >= 0 && h < 1)).toBe(true)
      for (const rate of [0.1, 0.5]) {
        const share = hashes.filter((h) => h < rate).length / ids.length
        expect(share).toBeGreaterThan(rate - 0.02)
        expect(share).toBeLessThan(rate + 0.02)
      }
    }
  })

  it('keeps a view whole: every event in or every event out', () => {
    const keep = sampling({ rate: 0.5 }) as (event: unknown) => boolean
    let kept = 0
    for (let i = 0; i < 200; i++) {
      const decisions = new Set(makeView(15).map((event) => keep(event)))
      expect(decisions.size).toBe(1)
      if (decisions.has(true)) kept++
    }
    expect(kept).toBeGreaterThan(60)
    expect(kept).toBeLessThan(140)
  })

  it('nests samples: per-type rates use the same hash, so lower rates keep a subset', () => {
    const keep = sampling({ rate: 0.2, by_type: { heartbeat: 0.05, error: 1 } }) as (
      event: unknown,
    ) => boolean
    const views = uuids.slice(0, 5000)
    const kept = (type: string) => new Set(views.filter((view_id) => keep({ type, view_id })))
    const playing = kept('playing')
    const heartbeat = kept('heartbeat')
    expect(heartbeat.size).toBeGreaterThan(150)
    expect(playing.size).toBeGreaterThan(heartbeat.size * 2)
    for (const view of heartbeat) expect(playing.has(view)).toBe(true)
    expect(kept('error').size).toBe(views.length)
  })

  it('picks other views with another seed, none at rate 0, and compiles to nothing at rate 1', () => {
    const a = sampling({ rate: 0.3 }) as (event: unknown) => boolean
    const b = sampling({ rate: 0.3, seed: 'partner' }) as (event: unknown) => boolean
    const views = uuids.slice(0, 2000).map((view_id) => ({ type: 'playing', view_id }))
    const inA = views.filter(a)
    const both = inA.filter(b)
    // Independent samples overlap by about 0.3 × 0.3, not 0.3.
    expect(both.length / views.length).toBeLessThan(0.15)
    const none = sampling({ rate: 0 }) as (event: unknown) => boolean
    expect(views.some(none)).toBe(false)
    expect(sampling({ rate: 1 })).toBeUndefined()
    expect(sampling({ rate: 1, by_type: { heartbeat: 0.1 } })).toBeTypeOf('function')
    expect(sampling({})).toBeUndefined()
  })
})
