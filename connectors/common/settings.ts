import { type SchemaOptions, type Static, type TUnsafe, Type } from '@sinclair/typebox'

/** Settings blocks that several connectors offer, each with its own description (TypeBox: schema + type). */

/** A string out of `values`, as a plain JSON Schema `enum` (what editors and the docs table show best). */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: SchemaOptions = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })
}

/** `event_naming`: how event types become event names (see event-naming.ts). */
export function EventNamingSetting(description: string) {
  return StringEnum(['title', 'raw'] as const, { default: 'title', description })
}
export type EventNamingSetting = Static<ReturnType<typeof EventNamingSetting>>

/** A URL setting (an endpoint, or a base URL a path is appended to): http:// or https:// only. */
export function HttpUrl(description: string) {
  return Type.String({ format: 'uri', pattern: '^https?://', description })
}

// TEMPORARY-COMPAT (removed once every connector is on TypeBox)
export const httpUrlSetting = HttpUrl
export const eventNamingSetting = EventNamingSetting
export function excludeTypesSetting(description: string) {
  return { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true, default: [], description } as const
}
