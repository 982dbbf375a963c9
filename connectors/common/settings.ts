import { type ObjectOptions, type Static, type TProperties, Type } from '@sinclair/typebox'
import { HttpUrl, StringEnum } from '../../src/config/blocks.ts'

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

/**
 * `region`, one of the vendor's data centres (the first is the default), and an optional `server_url` that
 * replaces the region's URL (a proxy, or a stand-in in tests). Pair with `regionUrl`.
 */
export function RegionSettings<const T extends readonly [string, ...string[]]>(
  regions: T,
  descriptions: { region: string; server_url: string },
) {
  return {
    region: StringEnum(regions, { default: regions[0], description: descriptions.region }),
    server_url: Type.Optional(HttpUrl(descriptions.server_url)),
  }
}

/** `server_url` when set, else the URL of the settings' region. */
export function regionUrl<R extends string>(
  settings: { region: R; server_url?: string },
  urls: Readonly<Record<R, string>>,
): string {
  return settings.server_url ?? urls[settings.region]
}
