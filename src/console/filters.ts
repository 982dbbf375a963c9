import type { ConsoleItem } from './protocol.ts'

/** Exact-match filters from the stream's query string; an absent one matches everything. */
export interface ItemFilter {
  source?: string
  type?: string
  viewId?: string
}

/** Query parameter of each filter; the page builds its stream URL from the same names. */
export const FILTER_PARAMS = { source: 'source', type: 'type', viewId: 'view_id' } as const

export function parseFilter(query: Record<string, unknown>): ItemFilter {
  const filter: ItemFilter = {}
  for (const [key, param] of Object.entries(FILTER_PARAMS) as [keyof ItemFilter, string][]) {
    const value = query[param]
    if (typeof value === 'string' && value !== '') filter[key] = value
  }
  return filter
}

export const matches = (filter: ItemFilter, item: ConsoleItem): boolean =>
  (filter.source === undefined || filter.source === item.source) &&
  (filter.type === undefined || filter.type === item.type) &&
  (filter.viewId === undefined || filter.viewId === item.viewId)
