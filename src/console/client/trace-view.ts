/// <reference lib="dom" />
import type { EventTrace, TraceStage } from '../../trace/trace-stages.ts'
import { describeStage } from '../../trace/trace-timeline.ts'
import { clock, el } from './dom.ts'

const FAILED = new Set<TraceStage['stage']>(['dead_lettered', 'paused'])

function timeline(trace: EventTrace): HTMLOListElement {
  const first = trace.stages[0]?.at ?? 0
  return el(
    'ol',
    { class: 'timeline' },
    ...trace.stages.map((stage) =>
      el(
        'li',
        { 'data-stage': stage.stage, class: FAILED.has(stage.stage) ? 'failed' : '' },
        el('time', {}, clock(stage.at)),
        el('span', { class: 'since' }, `+${stage.at - first} ms`),
        el('span', {}, describeStage(stage)),
      ),
    ),
  )
}

/**
 * Fetches and shows the trace of the event in `container` (a row's `.trace`). The console's own route:
 * its cookie (Path=/console) carries the token.
 */
export async function showTrace(container: HTMLElement): Promise<void> {
  const eventId = container.dataset.eventId ?? ''
  container.replaceChildren(el('p', { class: 'muted' }, 'Loading the trace…'))
  try {
    const res = await fetch(`/console/trace/${encodeURIComponent(eventId)}`)
    const body = (await res.json()) as EventTrace & { error?: string; message?: string }
    container.replaceChildren(
      el('h3', {}, 'Trace'),
      res.ok ? timeline(body) : el('p', { class: 'muted' }, `${body.error}: ${body.message}`),
    )
  } catch (err) {
    container.replaceChildren(el('p', { class: 'muted' }, `The trace could not be loaded: ${String(err)}`))
  }
}
