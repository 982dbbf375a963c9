/**
 * The stages of a connector pipeline, in the order they run (see docs/pipelines.md):
 * routing (source, type) → consent → filter → sampling → segments → privacy → mapping → cap, then the
 * connector's own transform. Names label the metrics.
 */
export const STAGES = [
  'routing',
  'consent',
  'filter',
  'sampling',
  'segments',
  'privacy',
  'mapping',
  'cap',
] as const

export type StageName = (typeof STAGES)[number]
