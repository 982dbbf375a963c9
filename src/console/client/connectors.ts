/// <reference lib="dom" />
import type { ConnectorSample, StatsSample } from '../protocol.ts'
import { el } from './dom.ts'
import { sparkline } from './sparkline.ts'

const ms = (v: number | null) => (v === null ? '–' : v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`)
const rate = (v: number) => (v < 10 ? v.toFixed(1) : String(Math.round(v)))

function figure(label: string, value: string, className = ''): HTMLDivElement {
  return el('div', { class: className }, el('dt', {}, label), el('dd', {}, value))
}

/** Each connector's last `slots` seconds, drawn as one card a connector. */
export class ConnectorPanel {
  readonly #root: HTMLElement
  readonly #slots: number
  #samples: StatsSample[] = []

  constructor(root: HTMLElement, slots: number) {
    this.#root = root
    this.#slots = slots
  }

  reset(samples: StatsSample[]): void {
    this.#samples = samples.slice(-this.#slots)
    this.#render()
  }

  add(sample: StatsSample): void {
    this.#samples.push(sample)
    if (this.#samples.length > this.#slots) this.#samples.shift()
    this.#render()
  }

  #render(): void {
    const latest = this.#samples.at(-1)?.connectors ?? []
    this.#root.replaceChildren(...latest.map((c) => this.#card(c)))
  }

  #card(now: ConnectorSample): HTMLElement {
    const history = this.#samples.map((s) => s.connectors.find((c) => c.connector === now.connector) ?? null)
    return el(
      'article',
      {
        class: 'connector',
        'data-circuit': now.circuit,
        'data-connector': now.connector,
        'data-paused': now.paused ?? '',
      },
      el(
        'header',
        {},
        el('h3', {}, now.connector),
        now.paused
          ? el('span', { class: 'paused' }, `paused: ${now.paused}`)
          : el('span', { class: 'circuit' }, `circuit ${now.circuit}`),
      ),
      el(
        'dl',
        {},
        figure('delivered/s', rate(now.deliveredPerSecond)),
        figure('p50', ms(now.p50Ms)),
        figure('p99', ms(now.p99Ms)),
        figure('dead letters', String(now.deadLettered), now.deadLettered > 0 ? 'alert' : ''),
      ),
      el(
        'div',
        { class: 'charts' },
        el(
          'figure',
          {},
          sparkline(
            [{ values: history.map((c) => c?.deliveredPerSecond ?? null), className: 'rate' }],
            this.#slots,
          ),
          el('figcaption', {}, 'delivered/s'),
        ),
        el(
          'figure',
          {},
          sparkline(
            [
              { values: history.map((c) => c?.p99Ms ?? null), className: 'p99' },
              { values: history.map((c) => c?.p50Ms ?? null), className: 'p50' },
            ],
            this.#slots,
          ),
          el(
            'figcaption',
            {},
            el('span', { class: 'legend-p50' }, 'p50'),
            ' / ',
            el('span', { class: 'legend-p99' }, 'p99'),
            ' latency',
          ),
        ),
      ),
    )
  }
}
