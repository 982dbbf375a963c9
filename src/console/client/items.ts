/// <reference lib="dom" />
import type { AcceptedItem, RejectedItem } from '../protocol.ts'
import { clock, el } from './dom.ts'

/** A value the page can filter on: clicking it sets that filter (see main.ts). */
const filterButton = (param: string, value: string, className: string, label = value) =>
  el(
    'button',
    {
      type: 'button',
      class: `chip ${className}`,
      'data-filter': param,
      'data-value': value,
      title: `show only ${param} ${value}`,
    },
    label,
  )

const json = (value: unknown) => el('pre', {}, JSON.stringify(value, null, 2))

export function acceptedRow(item: AcceptedItem): HTMLLIElement {
  const eventId = String(item.event.event_id ?? '')
  return el(
    'li',
    { class: 'item accepted' },
    el(
      'details',
      {},
      el(
        'summary',
        {},
        el('time', {}, clock(item.at)),
        filterButton('source', item.source, 'source'),
        filterButton('type', item.type, 'type'),
        filterButton('view_id', item.viewId, 'view', `view ${item.viewId.slice(0, 8)}`),
        el('span', { class: 'muted', title: eventId }, `seq ${String(item.event.seq ?? '?')}`),
      ),
      json(item.event),
      // Filled with the event's trace when the row is opened (trace-view.ts).
      el('div', { class: 'trace', 'data-event-id': eventId }),
    ),
  )
}

export function rejectedRow(item: RejectedItem): HTMLLIElement {
  const what = item.index === null ? 'whole request refused' : `event #${item.index}`
  return el(
    'li',
    { class: 'item rejected' },
    el(
      'div',
      { class: 'head' },
      el('time', {}, clock(item.at)),
      filterButton('source', item.source, 'source'),
      item.type === null ? null : filterButton('type', item.type, 'type'),
      el('span', { class: 'muted' }, what),
    ),
    el(
      'ul',
      { class: 'errors' },
      ...item.errors.map((e) => el('li', {}, el('code', {}, e.pointer || '(body)'), ' ', e.message)),
    ),
    item.raw === null ? null : el('details', {}, el('summary', {}, 'raw event'), json(item.raw)),
  )
}
