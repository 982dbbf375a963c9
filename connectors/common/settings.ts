import { type ObjectOptions, type Static, type TProperties, Type } from '@sinclair/typebox'
import { StringEnum } from '../../src/config/blocks.ts'

/** Settings blocks that several connectors offer, each with its own description (TypeBox: schema + type). */

export { HttpUrl, StringEnum } from '../../src/config/blocks.ts'

/**
 * A connector's `settings` object: closed, and a key that has a default is not required (the loader fills
 * it, so its Static type still has it).
 */
export function ConnectorSettings<P extends TProperties>(properties: P, options: ObjectOptions = {}) {
  const schema = Type.Object(properties, { ...options, additionalProperties: false })
  const required = ((schema.required ?? []) as string[]).filter(
    (key) => !('default' in (properties[key] as object)),
  )
  const open = schema as { required?: string[] }
  if (required.length > 0) open.required = required
  else delete open.required
  return schema
}

/** `event_naming`: how event types become event names (see event-naming.ts). */
export function EventNamingSetting(description: string) {
  return StringEnum(['title', 'raw'] as const, { default: 'title', description })
}
export type EventNamingSetting = Static<ReturnType<typeof EventNamingSetting>>
