import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { PlayerEvent } from '../../src/event.ts'

const EXAMPLES = fileURLToPath(new URL('../../collectors-schema/examples/', import.meta.url))

/** The data dictionary's example events, one per type: what a real collector sends. */
export const exampleEvents: Record<string, PlayerEvent> = Object.fromEntries(
  readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(EXAMPLES + f, 'utf8')) as PlayerEvent]),
)

/** A fresh copy of a type's example with a new event_id, so each call is a distinct event. */
export function playerEvent(type = 'heartbeat', overrides: Record<string, unknown> = {}): PlayerEvent {
  const example = exampleEvents[type]
  if (!example) throw new Error(`no example event of type ${type}`)
  return { ...structuredClone(example), event_id: randomUUID(), ...overrides }
}

/**
 * A view: one event of each example type, in sequence, sharing ids, from one viewer whose pseudonymous id
 * rides on every event, as a collector sends it (destinations such as Amplitude need a device id).
 */
export function playerView(size = 10, start = Date.now() - 60_000): PlayerEvent[] {
  const view_id = randomUUID()
  const session_id = randomUUID()
  const anonymous_id = `anon-${randomUUID()}`
  const types = Object.keys(exampleEvents)
  return Array.from({ length: size }, (_, seq) => {
    const type = types[seq % types.length] as string
    const user = { ...(exampleEvents[type]?.user as object | undefined), anonymous_id }
    return playerEvent(type, { view_id, session_id, seq, ts: start + seq * 1000, user })
  })
}

export function envelope(events: unknown[], sentAt = Date.now()) {
  return { sent_at: sentAt, events }
}
