import { expect, it } from 'vitest'
import type { PlayerEvent } from '../../src/event.ts'
import { playerView } from '../helpers/player-events.ts'
import { startWebhookStandIn } from '../stand-ins/webhook.ts'
import { until } from './harness.ts'
import { startReloadable, webhookEntry } from './reload-process.ts'

it('applies config changes under steady load without a failed request, a lost or a duplicated delivery', async () => {
  const [a, b] = await Promise.all([startWebhookStandIn(), startWebhookStandIn()])
  const fw = await startReloadable(webhookEntry('a', a.endpoint, 'one'))
  const { base, post, metric } = fw

  const statuses: number[] = []
  const sent: PlayerEvent[] = []
  let running = true
  const load = (async () => {
    while (running) {
      const events = playerView(5)
      const status = await post(events)
      statuses.push(status)
      if (status === 202) sent.push(...events)
      await new Promise((r) => setTimeout(r, 20))
    }
  })()

  await until('first deliveries', () => a.uniqueCount() > 50, 20_000)
  const infoBefore = await metric('framewire_config_info')

  // 1. A new source and a new connector, and a changed setting on the existing one.
  fw.write(
    `${base.replace('sources:\n', 'sources:\n  - name: tv\n    write_key: tv-write-key-0001\n')}connectors:\n${webhookEntry('a', a.endpoint, 'two')}${webhookEntry('b', b.endpoint, 'one')}`,
  )
  let newKeyStatus = 0
  await until(
    'the new write key',
    () => {
      void post(playerView(1), 'tv-write-key-0001').then((s) => {
        newKeyStatus = s
      })
      return newKeyStatus === 202
    },
    15_000,
  )
  await until('the new connector', () => b.uniqueCount() > 0, 20_000)
  await until('the changed setting', () => a.received.some((r) => r.headers['x-version'] === 'two'), 20_000)
  expect(await metric('framewire_config_info')).not.toBe(infoBefore)

  // 2. A broken file is rejected; the pipeline keeps running on the previous config.
  fw.writeConnectors('  - name: a\n    type: webhok\n')
  expect(await fw.waitForMetric('framewire_config_reload_failures_total', (l) => l.endsWith(' 1'))).toBe(
    'framewire_config_reload_failures_total 1',
  )
  const deliveredAtBadReload = a.uniqueCount()
  await until('deliveries after the bad reload', () => a.uniqueCount() > deliveredAtBadReload + 20, 20_000)

  running = false
  await load
  const ids = new Set(sent.map((e) => e.event_id))
  await until('every accepted event at a', () => a.uniqueCount() >= ids.size, 30_000)
  expect(statuses.filter((s) => s !== 202)).toEqual([])
  const delivered = new Set(a.events.map((e) => e.event_id))
  expect([...ids].filter((id) => !delivered.has(id))).toEqual([])
  expect(a.duplicateCount()).toBe(0)

  await fw.stop()
  await Promise.all([a.close(), b.close()])
}, 180_000)
