import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * Realistic request bodies for the ingest: 10-event batches built from the data dictionary's examples
 * (collectors-schema/examples), mostly media_request / heartbeat / playing with a sprinkle of the other
 * types, as a player in steady playback sends. Every event gets a fresh event_id, and belongs to one of
 * a pool of simulated players whose view_id, session_id and seq advance like a real player's.
 *
 * Bodies are rendered from pre-serialised templates by string concatenation, not JSON.stringify, so the
 * load generator spends little CPU per request and is not what limits the measured server.
 */

const EXAMPLES = fileURLToPath(new URL('../../collectors-schema/examples/', import.meta.url))

/** Relative frequency of each event type in steady playback (4 s segments, 10 s heartbeats). */
export const TYPE_WEIGHTS: Readonly<Record<string, number>> = {
  media_request: 36,
  heartbeat: 24,
  playing: 12,
  rendition_change: 4,
  buffer_start: 3,
  buffer_end: 3,
  pause: 2,
  milestone: 2,
  seek_start: 1.5,
  seek_end: 1.5,
  custom: 1,
  view_start: 1,
  player_ready: 1,
  playback_start: 1,
  view_end: 0.9,
  ended: 0.8,
  ad_start: 0.8,
  ad_break_start: 0.6,
  ad_complete: 0.6,
  ad_break_end: 0.6,
  error: 0.3,
  ad_skip: 0.2,
  ad_error: 0.2,
}

type Field = 'event_id' | 'session_id' | 'view_id' | 'seq' | 'ts'
const DYNAMIC: readonly Field[] = ['event_id', 'session_id', 'view_id', 'seq', 'ts']
const SENTINEL = /"@@(event_id|session_id|view_id|seq|ts)@@"/

/** A serialised example split around its dynamic fields: literal, field, literal, field, ..., literal. */
interface Template {
  type: string
  parts: string[]
  fields: Field[]
}

function compileTemplate(type: string, example: Record<string, unknown>): Template {
  const withSentinels: Record<string, unknown> = { ...example }
  for (const field of DYNAMIC) {
    if (!(field in example)) throw new Error(`example ${type} has no ${field}`)
    withSentinels[field] = `@@${field}@@`
  }
  const pieces = JSON.stringify(withSentinels).split(SENTINEL)
  const parts: string[] = []
  const fields: Field[] = []
  pieces.forEach((piece, i) => {
    if (i % 2 === 0) parts.push(piece)
    else fields.push(piece as Field)
  })
  return { type, parts, fields }
}

export function loadExamples(): Map<string, Record<string, unknown>> {
  const examples = new Map<string, Record<string, unknown>>()
  for (const file of readdirSync(EXAMPLES).sort()) {
    if (!file.endsWith('.json')) continue
    examples.set(file.replace(/\.json$/, ''), JSON.parse(readFileSync(EXAMPLES + file, 'utf8')))
  }
  return examples
}

/** xorshift32: a small seeded generator, so every run sends the same mix of types. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    return state / 0x1_0000_0000
  }
}

interface Player {
  sessionId: string
  viewId: string
  seq: number
  batchesLeftInView: number
}

export interface BatchGeneratorOptions {
  /** Events per request. */
  batchSize?: number
  /** Simulated players sending in turn (each with its own view and seq). */
  players?: number
  /** Batches a view lasts before the player starts a new one. */
  batchesPerView?: number
  seed?: number
}

export interface BatchGenerator {
  /** A fresh request body: new event_ids, the next player's ids and seq, timestamps from now. */
  next(): string
  /** How many events of each type the generator's batch shapes hold, for the results notes. */
  readonly mix: Record<string, number>
  readonly batchSize: number
}

export function createBatchGenerator(options: BatchGeneratorOptions = {}): BatchGenerator {
  const batchSize = options.batchSize ?? 10
  const batchesPerView = options.batchesPerView ?? 30
  const random = seededRandom(options.seed ?? 0x5eed)
  const examples = loadExamples()

  const templates = new Map<string, Template>()
  for (const type of Object.keys(TYPE_WEIGHTS)) {
    const example = examples.get(type)
    if (!example) throw new Error(`collectors-schema/examples has no ${type}.json`)
    templates.set(type, compileTemplate(type, example))
  }

  const weighted = Object.entries(TYPE_WEIGHTS)
  const totalWeight = weighted.reduce((sum, [, w]) => sum + w, 0)
  const pickType = (): Template => {
    let r = random() * totalWeight
    for (const [type, weight] of weighted) {
      r -= weight
      if (r < 0) return templates.get(type) as Template
    }
    return templates.get(weighted[0]?.[0] ?? 'heartbeat') as Template
  }

  // A fixed pool of batch shapes (lists of types), cycled through: the same mix on every run.
  const shapes: Template[][] = Array.from({ length: 1024 }, () => Array.from({ length: batchSize }, pickType))
  const mix: Record<string, number> = {}
  for (const shape of shapes) for (const t of shape) mix[t.type] = (mix[t.type] ?? 0) + 1

  const newView = (player: Player) => {
    player.viewId = randomUUID()
    player.seq = 0
    player.batchesLeftInView = batchesPerView
  }
  const players: Player[] = Array.from({ length: options.players ?? 256 }, () => {
    const player = { sessionId: randomUUID(), viewId: '', seq: 0, batchesLeftInView: 0 }
    newView(player)
    // Stagger the views so they do not all restart together.
    player.batchesLeftInView = 1 + Math.floor(random() * batchesPerView)
    return player
  })

  let shapeIndex = 0
  let playerIndex = 0

  const render = (template: Template, player: Player, ts: number): string => {
    const { parts, fields } = template
    let out = parts[0] as string
    for (let i = 0; i < fields.length; i++) {
      switch (fields[i]) {
        case 'event_id':
          out += `"${randomUUID()}"`
          break
        case 'session_id':
          out += `"${player.sessionId}"`
          break
        case 'view_id':
          out += `"${player.viewId}"`
          break
        case 'seq':
          out += String(player.seq++)
          break
        case 'ts':
          out += String(ts)
          break
      }
      out += parts[i + 1] as string
    }
    return out
  }

  return {
    batchSize,
    mix,
    next() {
      const shape = shapes[shapeIndex] as Template[]
      shapeIndex = (shapeIndex + 1) % shapes.length
      const player = players[playerIndex] as Player
      playerIndex = (playerIndex + 1) % players.length
      if (player.batchesLeftInView-- <= 0) newView(player)
      const sentAt = Date.now()
      let body = `{"sent_at":${sentAt},"events":[`
      for (let i = 0; i < shape.length; i++) {
        if (i > 0) body += ','
        // Events happened over the last few seconds, in order.
        body += render(shape[i] as Template, player, sentAt - (shape.length - i) * 400)
      }
      return `${body}]}`
    },
  }
}
