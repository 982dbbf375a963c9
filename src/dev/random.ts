/**
 * A seeded pseudo-random generator (mulberry32) with the draws the player simulation needs, so a demo run
 * can be replayed: the same seed gives the same views in the same order.
 */
export class Random {
  #state: number

  constructor(seed: number) {
    this.#state = seed >>> 0
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0
    let t = this.#state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)]
    if (item === undefined) throw new RangeError('pick from an empty list')
    return item
  }

  /** Picks by weight: `[[value, weight], …]`. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    let r = this.next() * choices.reduce((sum, [, w]) => sum + w, 0)
    for (const [value, weight] of choices) {
      r -= weight
      if (r < 0) return value
    }
    return this.pick(choices)[0]
  }

  /**
   * A log-normally distributed integer with this median, rounded: durations (start-up, stalls, watch time)
   * are skewed, mostly short with a long tail. `spread` is sigma of the underlying normal.
   */
  skewed(median: number, spread = 0.5): number {
    // Box-Muller; 1 - next() keeps the logarithm finite.
    const normal = Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next())
    return Math.round(median * Math.exp(spread * normal))
  }

  /** A child generator for one player, independent of how far this one has been drawn. */
  static forPlayer(seed: number, player: number): Random {
    return new Random(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + player * 0x27d4eb2f)
  }
}
