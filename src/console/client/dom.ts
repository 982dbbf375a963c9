/// <reference lib="dom" />

type Child = Node | string | null

/**
 * Creates an element. Strings become text nodes, never markup: everything the page shows comes from
 * players, so nothing is ever parsed as HTML.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  for (const child of children) if (child !== null) node.append(child)
  return node
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id)
  if (!node) throw new Error(`the page has no #${id}`)
  return node as T
}

/** Adds `node` at the top of `list` and drops the oldest beyond `max`. */
export function prependCapped(list: HTMLElement, node: Node, max: number): void {
  list.prepend(node)
  while (list.childElementCount > max) list.lastElementChild?.remove()
}

const CLOCK = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  fractionalSecondDigits: 3,
  hourCycle: 'h23',
})

/** Local wall-clock time to the millisecond: events of one second are told apart. */
export const clock = (epochMs: number): string => CLOCK.format(epochMs)
