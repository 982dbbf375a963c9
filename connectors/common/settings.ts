/** Settings-schema properties that several connectors offer, each with its own description. */

/** `exclude_types`: event types the connector does not send. */
export function excludeTypesSetting(description: string) {
  return {
    type: 'array',
    items: { type: 'string', minLength: 1 },
    uniqueItems: true,
    default: [],
    description,
  } as const
}

/** `event_naming`: how event types become event names (see event-naming.ts). */
export function eventNamingSetting(description: string) {
  return {
    type: 'string',
    enum: ['title', 'raw'],
    default: 'title',
    description,
  } as const
}

/** A URL setting: http:// or https:// only (declared once, with the other settings blocks). */
export { HttpUrl as httpUrlSetting } from '../../src/config/blocks.ts'
