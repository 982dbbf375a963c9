import { randomUUID } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildConsole } from '../../scripts/build-console.ts'
import { connectorsYaml, postViews, type StandIns, startStandIns } from '../e2e/harness.ts'
import { startPipeline, testConfig } from '../helpers/pipeline.ts'
import { playerEvent } from '../helpers/player-events.ts'
import { CONSOLE_TOKEN, consoleYaml, openStream, post, untilTailing } from './console-helpers.ts'

const ARTIFACTS = 'test-artifacts'

/** Debian's Chromium; nothing here may download a browser. */
const launchChromium = () =>
  chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })

let standIns: StandIns
let pipeline: Awaited<ReturnType<typeof startPipeline>>
let browser: Browser
let page: Page
const requested: string[] = []
const pageErrors: string[] = []

beforeAll(async () => {
  await buildConsole()
  standIns = await startStandIns()
  pipeline = await startPipeline(
    testConfig(`${consoleYaml()}trace: { sampling: all }\n${connectorsYaml(standIns)}`, {}, 'embedded'),
    'all',
  )
  // The console's bus reader is shared by every page: once one stream shows events, all do.
  const warmUp = await openStream(`${pipeline.url}/console/stream?token=${CONSOLE_TOKEN}`)
  await untilTailing(pipeline.url, warmUp)
  await warmUp.close()
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  page.on('request', (r) => requested.push(r.url()))
  page.on('pageerror', (e) => pageErrors.push(e.message))
})
afterAll(async () => {
  await browser?.close()
  await pipeline?.stop()
  await standIns?.close()
})

/** Resolves with the epoch ms at which a row matching `selector` is in the page and painted. */
function whenShown(selector: string): Promise<number> {
  return page.evaluate(
    (sel) =>
      new Promise<number>((resolve) => {
        const painted = () => requestAnimationFrame(() => resolve(Date.now()))
        if (document.querySelector(sel)) return painted()
        const observer = new MutationObserver(() => {
          if (!document.querySelector(sel)) return
          observer.disconnect()
          painted()
        })
        observer.observe(document.body, { childList: true, subtree: true })
      }),
    selector,
  )
}

describe('the console in headless Chromium', () => {
  it('refuses the page without the token', async () => {
    const res = await page.goto(`${pipeline.url}/console`)
    expect(res?.status()).toBe(401)
    expect(await page.textContent('body')).toContain('FW_ERR_CONSOLE_UNAUTHORIZED')
  })

  it('loads with the token, and goes live', async () => {
    const res = await page.goto(`${pipeline.url}/console?token=${CONSOLE_TOKEN}`)
    expect(res?.status()).toBe(200)
    await page.locator('#status[data-state="live"]').waitFor({ timeout: 5000 })
    // The token went into an HttpOnly cookie and out of the address bar.
    expect(page.url()).toBe(`${pipeline.url}/console`)
  })

  it('shows a posted event within a second of its 202', async () => {
    const event = playerEvent('view_start', { view_id: randomUUID() })
    const shown = whenShown(`#accepted [data-value="${event.view_id}"]`)
    const posted = Date.now()
    const answer = await post(pipeline.url, [event])
    const acknowledged = Date.now()
    expect(answer.status).toBe(202)
    const visible = await shown
    console.info(
      `console: post→visible ${visible - posted} ms, 202→visible ${visible - acknowledged} ms (post→202 ${acknowledged - posted} ms)`,
    )
    expect(visible - acknowledged).toBeLessThan(1000)
    await expect(page.locator(`#accepted [data-value="${event.view_id}"]`).isVisible()).resolves.toBe(true)
  })

  it('shows a rejected event with its reason', async () => {
    const viewId = randomUUID()
    const answer = await post(pipeline.url, [playerEvent('heartbeat', { view_id: viewId, seq: 'seven' })])
    const [rejection] = answer.body.rejected as { errors: { pointer: string; message: string }[] }[]
    const reason = rejection?.errors[0]
    expect(reason?.pointer).toBe('/events/0/seq')
    const row = page.locator('#rejected li.item', { hasText: reason?.pointer ?? '' }).first()
    await row.waitFor({ timeout: 2000 })
    expect(await row.textContent()).toContain(reason?.message)
  })

  it('draws each connector with its rate, latency, dead letters and circuit, and saves a screenshot', async () => {
    await postViews(pipeline.url, 20)
    await post(pipeline.url, [playerEvent('ad_start', { ad: 'not an object' })])
    for (const name of ['amplitude', 'datadog', 'webhook']) {
      const card = page.locator(`.connector[data-connector="${name}"]`)
      await card.waitFor({ timeout: 5000 })
      expect(await card.getAttribute('data-circuit')).toBe('closed')
      expect(await card.locator('dt').allTextContents()).toEqual([
        'delivered/s',
        'p50',
        'p99',
        'dead letters',
      ])
    }
    // A few seconds of steady traffic: the charts have lines to draw.
    for (let i = 0; i < 12; i++) {
      await postViews(pipeline.url, 2)
      await page.waitForTimeout(250)
    }
    expect(await page.locator('.connector .sparkline .rate').first().getAttribute('d')).toMatch(/^M[\d.,]+L/)
    await mkdir(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: `${ARTIFACTS}/console.png`, fullPage: false })
  })

  it("opens an event's trace when its row is clicked, and saves a screenshot", async () => {
    const event = playerEvent('view_start', { view_id: randomUUID() })
    const row = page.locator('#accepted li.item', { has: page.locator(`[data-value="${event.view_id}"]`) })
    expect((await post(pipeline.url, [event])).status).toBe(202)
    await row.waitFor({ timeout: 5000 })
    // Every connector has its outcome (and the trace flushed) before the row is opened.
    const traceUrl = `${pipeline.url}/v1/events/${event.event_id}/trace`
    const complete = async () => {
      const res = await fetch(traceUrl, { headers: { authorization: `Bearer ${CONSOLE_TOKEN}` } })
      const text = res.ok ? await res.text() : ''
      // One dead letter (datadog) and two deliveries (amplitude, webhook).
      return text.includes('"dead_lettered"') && text.split('"stage":"delivered"').length === 3
    }
    for (let tries = 0; !(await complete()) && tries < 60; tries++) await page.waitForTimeout(250)
    await row.locator('summary time').click()
    const stages = row.locator('.timeline li')
    await row.locator('.timeline li[data-stage="dead_lettered"]').waitFor({ timeout: 5000 })
    const texts = await stages.allTextContents()
    expect(texts[0]).toMatch(/\+0 msreceived from source web as application\/json on node test-node$/)
    expect(texts.filter((t) => t.includes('written to '))).toHaveLength(1)
    for (const name of ['amplitude', 'webhook']) {
      expect(texts.filter((t) => t.includes(`[${name}] attempt 1: delivered`))).toHaveLength(1)
      expect(texts.filter((t) => t.includes(`[${name}] delivered`))).toHaveLength(1)
    }
    // The example event's ts is days old, past Datadog's 18 h: a rejection, then a dead letter.
    expect(
      texts.filter((t) => t.includes('[datadog] attempt 1: rejected: event older than 18 h')),
    ).toHaveLength(1)
    expect(texts.filter((t) => t.includes('[datadog] dead-lettered (rejected)'))).toHaveLength(1)
    await row.scrollIntoViewIfNeeded()
    await page.screenshot({ path: `${ARTIFACTS}/trace.png`, fullPage: false })

    // Everything the page loaded came from the ingest itself: it works offline.
    expect(requested.filter((url) => !url.startsWith(pipeline.url))).toEqual([])
    expect(pageErrors).toEqual([])
  })
})
