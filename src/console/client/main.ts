/// <reference lib="dom" />
import { FILTER_PARAMS } from '../filters.ts'
import type { ConsoleItem, StreamMessages } from '../protocol.ts'
import { ConnectorPanel } from './connectors.ts'
import { byId, el, prependCapped } from './dom.ts'
import { acceptedRow, rejectedRow } from './items.ts'
import { showTrace } from './trace-view.ts'

const MAX_ACCEPTED_ROWS = 300
const MAX_REJECTED_ROWS = 100
const CHART_SECONDS = 120
const PARAMS = Object.values(FILTER_PARAMS)

const form = byId<HTMLFormElement>('filters')
const accepted = byId('accepted')
const rejected = byId('rejected')
const status = byId('status')
const notShown = byId('not-shown')
const pauseButton = byId<HTMLButtonElement>('pause')
const connectors = new ConnectorPanel(byId('connectors'), CHART_SECONDS)
const seen = { source: new Set<string>(), type: new Set<string>() }

let stream: EventSource | undefined
let paused = false
let held: ConsoleItem[] = []
let counts = { accepted: 0, rejected: 0 }

function filters(): URLSearchParams {
  const params = new URLSearchParams()
  for (const name of PARAMS) {
    const value = (form.elements.namedItem(name) as HTMLInputElement).value.trim()
    if (value) params.set(name, value)
  }
  return params
}

function setStatus(state: 'connecting' | 'live' | 'reconnecting' | 'closed') {
  status.dataset.state = state
  status.textContent = state === 'closed' ? 'disconnected: reload with ?token=' : state
}

function remember(kind: keyof typeof seen, value: string | null) {
  if (value === null || seen[kind].has(value)) return
  seen[kind].add(value)
  byId(`${kind}s`).append(el('option', { value }))
}

function show(item: ConsoleItem) {
  remember('source', item.source)
  remember('type', item.type)
  counts[item.kind]++
  if (item.kind === 'accepted') prependCapped(accepted, acceptedRow(item), MAX_ACCEPTED_ROWS)
  else prependCapped(rejected, rejectedRow(item), MAX_REJECTED_ROWS)
  byId('accepted-count').textContent = String(counts.accepted)
  byId('rejected-count').textContent = String(counts.rejected)
}

function receive(items: ConsoleItem[]) {
  if (!paused) for (const item of items) show(item)
  else held = [...held, ...items].slice(-MAX_ACCEPTED_ROWS)
}

function on<K extends keyof StreamMessages>(
  source: EventSource,
  name: K,
  handle: (m: StreamMessages[K]) => void,
) {
  source.addEventListener(name, (e) => handle(JSON.parse((e as MessageEvent<string>).data)))
}

/** (Re)opens the stream with the current filters; the server filters, so a busy pipeline costs no bandwidth. */
function connect() {
  stream?.close()
  const params = filters()
  history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}`)
  setStatus('connecting')
  const source = new EventSource(`/console/stream?${params}`)
  stream = source
  on(source, 'hello', (hello) => {
    accepted.replaceChildren()
    rejected.replaceChildren()
    counts = { accepted: 0, rejected: 0 }
    held = []
    byId('node').textContent = `node ${hello.node}`
    byId('footer').textContent =
      `Live from the bus: events accepted or rejected by every ingest node. Connector figures are those of node ${hello.node}. ` +
      `At most ${hello.maxItemsPerSecond} events and ${hello.maxItemsPerSecond} rejections a second reach this page.`
    receive(hello.recent)
    connectors.reset(hello.stats)
  })
  on(source, 'items', (message) => {
    receive(message.items)
    notShown.hidden = message.notShown === 0
    notShown.textContent = `${message.notShown} matching events not shown (over this page's rate cap); filter to see them all.`
  })
  on(source, 'stats', (sample) => connectors.add(sample))
  source.onopen = () => setStatus('live')
  source.onerror = () => setStatus(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting')
}

form.addEventListener('submit', (e) => {
  e.preventDefault()
  connect()
})
form.addEventListener('reset', (e) => {
  e.preventDefault()
  for (const name of PARAMS) (form.elements.namedItem(name) as HTMLInputElement).value = ''
  connect()
})
// Clicking a source, type or view on any row filters on it.
document.addEventListener('click', (e) => {
  const target = (e.target as Element).closest<HTMLElement>('[data-filter]')
  if (!target) return
  e.preventDefault()
  ;(form.elements.namedItem(target.dataset.filter ?? '') as HTMLInputElement).value =
    target.dataset.value ?? ''
  connect()
})
// Opening an event row loads its trace; `toggle` does not bubble, so it is caught on the way down.
document.addEventListener(
  'toggle',
  (e) => {
    const details = e.target as HTMLDetailsElement
    const trace = details.open ? details.querySelector<HTMLElement>(':scope > .trace') : null
    if (trace) void showTrace(trace)
  },
  true,
)
pauseButton.addEventListener('click', () => {
  paused = !paused
  pauseButton.setAttribute('aria-pressed', String(paused))
  pauseButton.textContent = paused ? 'Resume' : 'Pause'
  if (!paused) {
    const items = held
    held = []
    receive(items)
  }
})

// The token came in the URL; the cookie set with this page carries it from now on, so drop it from the
// address bar and history. The filters in the URL stay, so a filtered view can be bookmarked.
const initial = new URLSearchParams(location.search)
for (const name of PARAMS) (form.elements.namedItem(name) as HTMLInputElement).value = initial.get(name) ?? ''
connect()
