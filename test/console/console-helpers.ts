import { randomUUID } from 'node:crypto'
import type { ConsoleItem, StreamMessages } from '../../src/console/protocol.ts'
import { WRITE_KEY } from '../helpers/pipeline.ts'
import { envelope, playerEvent } from '../helpers/player-events.ts'

export const CONSOLE_TOKEN = 'console-test-token-0001'

/** A pipeline config block with the console on, under a known token. */
export const consoleYaml = (token = CONSOLE_TOKEN) => `console: { enabled: true, token: '${token}' }\n`

/** Posts one batch to the ingest and returns its status and answer. */
export async function post(baseUrl: string, events: unknown[]) {
  const res = await fetch(`${baseUrl}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}` },
    body: JSON.stringify(envelope(events)),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

type Message = { [K in keyof StreamMessages]: { event: K; data: StreamMessages[K] } }[keyof StreamMessages]

/** An SSE stream read the way EventSource does, every message kept for the test to look through. */
export async function openStream(url: string, headers: Record<string, string> = {}) {
  const abort = new AbortController()
  const res = await fetch(url, { headers, signal: abort.signal })
  const messages: Message[] = []
  const read = async (body: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder()
    let buffered = ''
    for await (const chunk of body) {
      buffered += decoder.decode(chunk, { stream: true })
      let end = buffered.indexOf('\n\n')
      for (; end >= 0; end = buffered.indexOf('\n\n')) {
        const block = buffered.slice(0, end)
        buffered = buffered.slice(end + 2)
        const event = /^event: (.*)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (event && data) messages.push({ event, data: JSON.parse(data) } as Message)
      }
    }
  }
  const reading = res.ok && res.body ? read(res.body).catch(() => undefined) : Promise.resolve()

  /** Every item the stream delivered so far: the hello's recent ones, then the live ones. */
  const items = (): ConsoleItem[] =>
    messages.flatMap((m) => (m.event === 'hello' ? m.data.recent : m.event === 'items' ? m.data.items : []))
  return {
    status: res.status,
    headers: res.headers,
    messages,
    items,
    /** Settles when the server ends the stream. */
    ended: reading,
    async waitFor<T>(what: string, find: () => T | undefined, timeoutMs = 5000): Promise<T> {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = find()
        if (found !== undefined) return found
        if (Date.now() > deadline) throw new Error(`stream: timed out waiting for ${what}`)
        await new Promise((r) => setTimeout(r, 10))
      }
    },
    async close() {
      abort.abort()
      await reading
    },
  }
}
export type Stream = Awaited<ReturnType<typeof openStream>>

/**
 * A fresh bus reader starts at the end of the topics only once it has its partitions; until then events
 * pass it by. Posting a marked event until the stream shows one tells that the console is live.
 */
export async function untilTailing(baseUrl: string, stream: Stream, timeoutMs = 30_000) {
  const viewId = `warm-up-${randomUUID()}`
  const deadline = Date.now() + timeoutMs
  while (!stream.items().some((i) => i.viewId === viewId)) {
    if (Date.now() > deadline) throw new Error('the console never showed the warm-up event')
    await post(baseUrl, [playerEvent('heartbeat', { view_id: viewId })])
    await new Promise((r) => setTimeout(r, 300))
  }
}
