import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildConsole } from '../../scripts/build-console.ts'
import type { AcceptedItem, Issue, RejectedItem } from '../../src/console/protocol.ts'
import { MAX_ITEMS_PER_SECOND } from '../../src/console/start-console.ts'
import { connectorsYaml, type StandIns, startStandIns } from '../e2e/harness.ts'
import { BUSES, startPipeline, testConfig, WRITE_KEY } from '../helpers/pipeline.ts'
import { playerEvent } from '../helpers/player-events.ts'
import { CONSOLE_TOKEN, consoleYaml, openStream, post, type Stream, untilTailing } from './console-helpers.ts'

beforeAll(() => buildConsole())

describe('console set-up', () => {
  it('makes a random token when the config has none, and reports it with a URL', async () => {
    const other = await startPipeline(testConfig('console: { enabled: true }', {}, 'embedded'), 'ingest')
    try {
      const opened = other.ingest?.console
      expect(opened?.token).toMatch(/^[\w-]{32}$/)
      expect(opened?.token).not.toBe(CONSOLE_TOKEN)
      expect(opened?.url).toBe(`${other.url}/console?token=${opened?.token}`)
      expect((await fetch(opened?.url ?? '')).status).toBe(200)
      expect((await fetch(`${other.url}/console?token=${CONSOLE_TOKEN}`)).status).toBe(401)
    } finally {
      await other.stop()
    }
  })

  it('ends open streams when the ingest stops, so a browser left open never holds up a shutdown', async () => {
    const other = await startPipeline(testConfig(consoleYaml(), {}, 'embedded'), 'ingest')
    const open = await openStream(`${other.url}/console/stream?token=${CONSOLE_TOKEN}`)
    await open.waitFor('hello', () => open.messages.find((m) => m.event === 'hello'))
    const started = Date.now()
    await other.stop()
    await open.ended
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('is absent unless enabled', async () => {
    const other = await startPipeline(testConfig('', {}, 'embedded'), 'ingest')
    try {
      expect(other.ingest?.console).toBeUndefined()
      expect((await fetch(`${other.url}/console?token=${CONSOLE_TOKEN}`)).status).toBe(404)
    } finally {
      await other.stop()
    }
  })
})

describe.each(BUSES)('console on the %s bus', (bus) => {
  let standIns: StandIns
  let pipeline: Awaited<ReturnType<typeof startPipeline>>
  let stream: Stream

  beforeAll(async () => {
    standIns = await startStandIns()
    pipeline = await startPipeline(testConfig(consoleYaml() + connectorsYaml(standIns), {}, bus), 'all')
    stream = await openStream(`${pipeline.url}/console/stream?token=${CONSOLE_TOKEN}`)
    await untilTailing(pipeline.url, stream)
  })
  afterAll(async () => {
    await stream?.close()
    await pipeline?.stop()
    await standIns?.close()
  })

  describe('console access', () => {
    it('refuses the page, its files and the stream without the right token, and says nothing else', async () => {
      for (const path of [
        '/console',
        '/console?token=wrong',
        '/console?token=',
        `/console?token=${CONSOLE_TOKEN}x`,
        '/console/app.js',
        '/console/stream',
        '/console/stream?token=wrong',
      ]) {
        const res = await fetch(pipeline.url + path, { headers: { cookie: 'fw_console=wrong' } })
        expect(res.status, path).toBe(401)
        expect(res.headers.get('set-cookie'), path).toBeNull()
        expect(await res.json(), path).toEqual({
          error: 'FW_ERR_CONSOLE_UNAUTHORIZED',
          message: 'the console needs its token: open /console?token=<console token>',
        })
      }
    })

    it('serves the page with the token, and sets a cookie that then opens its files and stream', async () => {
      const page = await fetch(`${pipeline.url}/console?token=${CONSOLE_TOKEN}`)
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
      expect(page.headers.get('referrer-policy')).toBe('no-referrer')
      expect(await page.text()).toContain('<script type="module" src="/console/app.js">')
      const cookie = page.headers.get('set-cookie') ?? ''
      expect(cookie).toMatch(/^fw_console=[^;]+; Path=\/console; HttpOnly; SameSite=Strict$/)

      const headers = { cookie: cookie.split(';')[0] as string }
      const script = await fetch(`${pipeline.url}/console/app.js`, { headers })
      expect([script.status, script.headers.get('content-type')]).toEqual([
        200,
        'text/javascript; charset=utf-8',
      ])
      const byCookie = await openStream(`${pipeline.url}/console/stream`, headers)
      try {
        expect(byCookie.status).toBe(200)
        expect(byCookie.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
        const hello = await byCookie.waitFor('hello', () =>
          byCookie.messages.find((m) => m.event === 'hello'),
        )
        expect(hello.data).toMatchObject({ node: 'test-node', maxItemsPerSecond: MAX_ITEMS_PER_SECOND })
      } finally {
        await byCookie.close()
      }
    })
  })

  describe('console stream', () => {
    it('streams accepted events and rejected ones with their validation errors, read back from the bus', async () => {
      const viewId = randomUUID()
      const good = playerEvent('view_start', { view_id: viewId })
      const bad = playerEvent('heartbeat', { view_id: viewId, seq: 'not a number' })
      const answer = await post(pipeline.url, [good, bad])
      expect(answer.status).toBe(202)

      const accepted = await stream.waitFor('the accepted event', () =>
        stream
          .items()
          .find((i): i is AcceptedItem => i.kind === 'accepted' && i.event.event_id === good.event_id),
      )
      expect(accepted).toMatchObject({ source: 'web', type: 'view_start', viewId, event: { source: 'web' } })
      const rejected = await stream.waitFor('the rejected event', () =>
        stream.items().find((i): i is RejectedItem => i.kind === 'rejected' && i.viewId === viewId),
      )
      expect(rejected).toMatchObject({ source: 'web', type: 'heartbeat', index: 1, raw: bad })
      const [rejection] = answer.body.rejected as { errors: Issue[] }[]
      expect(rejected.errors).toEqual(rejection?.errors)
      expect(rejected.errors[0]?.pointer).toBe('/events/1/seq')
    })

    it('keeps recent items for a stream opened later, and filters on the server', async () => {
      const viewId = randomUUID()
      await post(pipeline.url, [
        playerEvent('view_start', { view_id: viewId }),
        playerEvent('heartbeat', { view_id: viewId }),
        playerEvent('heartbeat', { view_id: randomUUID() }),
      ])
      await stream.waitFor('the view', () =>
        stream.items().find((i) => i.viewId === viewId && i.type === 'heartbeat'),
      )

      const filtered = await openStream(
        `${pipeline.url}/console/stream?token=${CONSOLE_TOKEN}&type=heartbeat&view_id=${viewId}`,
      )
      try {
        const hello = await filtered.waitFor('hello', () =>
          filtered.messages.find((m) => m.event === 'hello'),
        )
        if (hello.event !== 'hello') throw new Error('not a hello')
        expect(hello.data.recent.map((i) => [i.type, i.viewId])).toEqual([['heartbeat', viewId]])

        const later = playerEvent('heartbeat', { view_id: viewId })
        await post(pipeline.url, [
          playerEvent('view_end', { view_id: viewId }),
          later,
          playerEvent('heartbeat'),
        ])
        await filtered.waitFor('the later heartbeat', () =>
          filtered.items().find((i) => i.kind === 'accepted' && i.event.event_id === later.event_id),
        )
        // Everything else of that batch was filtered out before it was sent.
        await new Promise((r) => setTimeout(r, 300))
        expect(filtered.items().map((i) => [i.type, i.viewId])).toEqual([
          ['heartbeat', viewId],
          ['heartbeat', viewId],
        ])
      } finally {
        await filtered.close()
      }
    })

    it('shows requests refused as a whole (400) from a known source', async () => {
      const res = await fetch(`${pipeline.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}` },
        body: JSON.stringify({ sent_at: Date.now(), events: 'not a list' }),
      })
      expect(res.status).toBe(400)
      const refused = await stream.waitFor('the refused request', () =>
        stream.items().find((i): i is RejectedItem => i.kind === 'rejected' && i.index === null),
      )
      expect(refused).toMatchObject({ source: 'web', raw: null })
      expect(refused.errors.map((e) => e.pointer)).toContain('/events')
    })

    it('shows other refusals of a known source with their code, and none from an unknown key', async () => {
      const send = (authorization: string, contentType: string) =>
        fetch(`${pipeline.url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': contentType, authorization },
          body: '<events/>',
        })
      // Malformed JSON is refused before the key is looked at; from a known key it would be shown.
      const stranger = await send('Bearer not-a-key', 'application/json')
      expect(stranger.status).toBe(400)
      const wrongType = await send(`Bearer ${WRITE_KEY}`, 'application/xml')
      expect(wrongType.status).toBe(415)
      const refusals = () =>
        stream.items().filter((i): i is RejectedItem => i.kind === 'rejected' && i.index === null)
      await stream.waitFor('the 415', () =>
        refusals().find((i) => i.errors[0]?.message.startsWith('FW_ERR_INGEST_MEDIA_TYPE: ')),
      )
      expect(refusals().map((i) => i.source)).toEqual(refusals().map(() => 'web'))
      expect(refusals().some((i) => i.errors[0]?.message.startsWith('FW_ERR_INGEST_MALFORMED_JSON'))).toBe(
        false,
      )
    })

    it("pushes each connector's figures once a second", async () => {
      // A second counts what was delivered within it: keep delivering until one has been sampled.
      const posts: Promise<unknown>[] = []
      const sending = setInterval(() => posts.push(post(pipeline.url, [playerEvent('heartbeat')])), 200)
      const busy = await stream
        .waitFor(
          'a second with deliveries',
          () =>
            stream.messages.find(
              (m) =>
                m.event === 'stats' &&
                m.data.connectors.some((c) => c.connector === 'webhook' && c.deliveredPerSecond > 0),
            ),
          10_000,
        )
        .finally(() => clearInterval(sending))
      // Every post settles before the suite stops the ingest, so none is cut off unanswered.
      await Promise.all(posts)
      if (busy.event !== 'stats') throw new Error('not stats')
      expect(busy.data.connectors.map((c) => c.connector).sort()).toEqual(['amplitude', 'datadog', 'webhook'])
      const webhook = busy.data.connectors.find((c) => c.connector === 'webhook')
      expect(webhook).toMatchObject({ circuit: 'closed', paused: null, deadLettered: 0 })
      expect(webhook?.p50Ms).toBeGreaterThan(0)
      expect(webhook?.p99Ms).toBeGreaterThanOrEqual(webhook?.p50Ms ?? 0)
      const stats = stream.messages.filter((m) => m.event === 'stats').map((m) => m.data.at)
      const gaps = stats.slice(1).map((at, i) => at - (stats[i] as number))
      for (const gap of gaps) expect(gap).toBeGreaterThan(800)
    })
  })
})
