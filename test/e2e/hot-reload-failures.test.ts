import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import type { PlayerEvent } from '../../src/event.ts'
import { playerView } from '../helpers/player-events.ts'
import { startWebhookStandIn, type WebhookStandIn } from '../stand-ins/webhook.ts'
import { until } from './harness.ts'
import { startReloadable, webhookEntry } from './reload-process.ts'

type Framewire = Awaited<ReturnType<typeof startReloadable>>

const INFO = 'framewire_config_info'
const FAILURES = 'framewire_config_reload_failures_total'

/** Posts one view and waits until `received` shows every event of it. */
async function deliver(fw: Framewire, what: string, received: (event: PlayerEvent) => boolean) {
  const events = playerView(5)
  expect(await fw.post(events)).toBe(202)
  await until(what, () => events.every(received), 15_000)
  return events
}
const at = (hook: WebhookStandIn) => (event: PlayerEvent) =>
  hook.events.some((e) => e.event_id === event.event_id)

it('a connector whose new config cannot start keeps its old worker delivering; SIGHUP applies it once it can', async () => {
  const hook = await startWebhookStandIn()
  const fw = await startReloadable(webhookEntry('a', hook.endpoint, 'one'), {
    bus: 'embedded',
    logLevel: 'fatal',
  })
  await deliver(fw, 'deliveries by the first config', at(hook))
  const infoBefore = await fw.metric(INFO)

  // The file connector's open() cannot create a directory where a regular file is.
  const blocker = join(mkdtempSync(join(tmpdir(), 'fw-reload-blocked-')), 'blocker')
  writeFileSync(blocker, '')
  const path = join(blocker, 'events.jsonl')
  fw.writeConnectors(`  - name: a\n    type: file\n    settings: { path: ${path} }\n`)
  await fw.waitForMetric(FAILURES, (l) => l.endsWith(' 1'))
  expect(await fw.metric(INFO)).toBe(infoBefore)
  await deliver(fw, 'deliveries by the old worker after the failed reload', at(hook))

  // The file is unchanged, so only SIGHUP applies it again; now the connector can open.
  rmSync(blocker)
  fw.child.kill('SIGHUP')
  await fw.waitForMetric(INFO, (l) => l !== infoBefore)
  const lines = () => (existsSync(path) ? readFileSync(path, 'utf8') : '')
  const viaFile = await deliver(fw, 'deliveries by the new file connector', (e) =>
    lines().includes(e.event_id),
  )
  expect(viaFile.filter(at(hook))).toEqual([])
  expect(hook.duplicateCount()).toBe(0)

  await fw.stop()
  await hook.close()
}, 60_000)

it('removing a connector stops its deliveries and its metric series; the others go on', async () => {
  const [a, b] = await Promise.all([startWebhookStandIn(), startWebhookStandIn()])
  const fw = await startReloadable(
    `${webhookEntry('a', a.endpoint, 'one')}${webhookEntry('b', b.endpoint, 'one')}`,
    { bus: 'embedded', logLevel: 'fatal' },
  )
  const both = await deliver(fw, 'deliveries to a and b', (e) => at(a)(e) && at(b)(e))
  expect(both.length).toBeGreaterThan(0)
  const bSeries = 'framewire_connector_delivered_total{connector="b"}'
  expect(await fw.metric(bSeries)).not.toBe('')
  const infoBefore = await fw.metric(INFO)

  fw.writeConnectors(webhookEntry('a', a.endpoint, 'one'))
  await fw.waitForMetric(INFO, (l) => l !== infoBefore)
  const afterRemoval = await deliver(fw, 'deliveries to a after the removal', at(a))
  // b's worker is gone, not just slow: a got these, so a live b would have been handed them too.
  await new Promise((r) => setTimeout(r, 500))
  expect(afterRemoval.filter(at(b))).toEqual([])
  expect(await fw.metric(bSeries)).toBe('')
  expect(await fw.metric(FAILURES)).toBe(`${FAILURES} 0`)

  await fw.stop()
  await Promise.all([a.close(), b.close()])
}, 60_000)
