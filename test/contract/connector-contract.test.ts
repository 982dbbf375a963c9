import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { gunzipSync, inflateSync } from 'node:zlib'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectorTypes } from '../../connectors/index.ts'
import type { BatchItem, ConnectorDefinition, HttpCall, Outcome } from '../../src/worker/connector.ts'
import { makeEvent } from '../fixtures/events.ts'
import { makeAgent, makeBatch, makeContext } from '../fixtures/send-context.ts'
import { type ContractFixture, type ContractTarget, isUnsupported } from './fixture.ts'

/**
 * The contract every registered connector keeps, checked against its own stand-in: a connector gets these
 * checks by being registered in connectors/index.ts and shipping connectors/<type>/contract.ts. Connector
 * test files keep only what is vendor-specific.
 */

type Any = ConnectorDefinition<Record<string, unknown>, unknown>

const ajv = new Ajv2020({ useDefaults: true, allErrors: true, strict: false })
addFormats.default(ajv)

function settingsOf(connector: Any, raw: Record<string, unknown>): Record<string, unknown> {
  const settings = structuredClone(raw)
  const validate = ajv.compile(connector.settingsSchema)
  if (!validate(settings)) throw new Error(`fixture settings invalid: ${ajv.errorsText(validate.errors)}`)
  return settings
}

/** Counts TCP connections opened while `fn` runs: every client (undici, pg, kafkajs, gRPC) goes through it. */
async function socketsOpenedBy(fn: () => Promise<unknown>): Promise<number> {
  const original = net.Socket.prototype.connect
  let opened = 0
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    opened++
    return (original as (...a: unknown[]) => net.Socket).apply(this, args)
  } as typeof original
  try {
    await fn()
  } finally {
    net.Socket.prototype.connect = original
  }
  return opened
}

/** A recent event of its own viewer, so per-user limits of a vendor never see one user's flood. */
const freshEvent = (custom: Record<string, string> = { tier: 'gold' }) =>
  makeEvent({
    ts: Date.now() - 1000,
    user: { anonymous_id: `anon-${randomUUID()}`, consent: { analytics: true } },
    custom,
  })

const bytesOf = (connector: Any, item: BatchItem<unknown>) =>
  connector.recordBytes?.(item.record) ?? Buffer.byteLength(JSON.stringify(item.record)) + 1

/** The largest batch the runtime could hand `send`: up to the item limit and the byte limit. */
function fullBatch(connector: Any, settings: Record<string, unknown>, pad: number, cap: number) {
  const { maxItems, maxBytes } = connector.limits(settings)
  const batch: BatchItem<unknown>[] = []
  let bytes = 0
  while (batch.length < Math.min(maxItems, cap)) {
    const [item] = makeBatch(connector, settings, [freshEvent(pad > 0 ? padding(pad) : undefined)])
    if (!item) throw new Error('transform skipped a plain playing event')
    const size = bytesOf(connector, item)
    if (bytes + size > maxBytes) break
    batch.push(item)
    bytes += size
  }
  return { batch, bytes, maxBytes, maxItems }
}

/** Custom dimensions adding about `bytes` to an event, in 40 values at most (the dictionary allows 50). */
function padding(bytes: number): Record<string, string> {
  const each = Math.max(1, Math.ceil(bytes / 40))
  const custom: Record<string, string> = {}
  for (let i = 0; i < 40; i++) custom[`pad_${i}`] = 'x'.repeat(each)
  return custom
}

const kinds = (outcomes: Outcome[]) => outcomes.map((o) => o.kind)

/** A planned HTTP body as text, decoded when the call says it is compressed. */
function bodyText(call: HttpCall): string {
  const raw = typeof call.body === 'string' ? Buffer.from(call.body) : call.body
  const encoding = call.headers['content-encoding']
  if (encoding === 'gzip') return gunzipSync(raw).toString()
  if (encoding === 'deflate') return inflateSync(raw).toString()
  return raw.toString()
}

const types = Object.keys(connectorTypes).sort()

it('every registered connector has a contract fixture', () => {
  const missing = types.filter(
    (type) => !existsSync(fileURLToPath(new URL(`../../connectors/${type}/contract.ts`, import.meta.url))),
  )
  expect(missing).toEqual([])
})

describe.each(types)('%s keeps the connector contract', (type) => {
  const connector = connectorTypes[type] as Any
  let target: ContractTarget
  let settings: Record<string, unknown>
  let resources: unknown
  const agent = makeAgent()
  const send = async (batch: BatchItem<unknown>[]) => {
    const outcomes = await connector.send(
      batch,
      makeContext(settings, agent, { resources, timeoutMs: 20_000 }),
    )
    // Exactly one outcome per item, every time.
    expect(outcomes).toHaveLength(batch.length)
    return outcomes
  }
  const batchOf = (n: number) =>
    makeBatch(
      connector,
      settings,
      Array.from({ length: n }, () => freshEvent()),
    )

  beforeAll(async () => {
    const fixture = (await import(`../../connectors/${type}/contract.ts`)).default as ContractFixture
    target = await fixture.start()
    settings = settingsOf(connector, target.settings)
    resources = await connector.open?.(settings, {
      log: (await import('pino')).pino({ level: 'silent' }),
      name: `contract-${type}`,
    })
  })
  afterAll(async () => {
    await connector.close?.(resources)
    await agent.close()
    await target?.stop()
  })

  it('plans a batch without opening a socket (config test)', async () => {
    const batch = batchOf(3)
    let planned: Awaited<ReturnType<Any['plan']>> = []
    const opened = await socketsOpenedBy(async () => {
      planned = await connector.plan(batch, settings)
    })
    expect(opened).toBe(0)
    expect(planned.length).toBeGreaterThan(0)
    expect(
      JSON.stringify(planned.map((c) => (c.kind === 'http' ? bodyText(c) : c.kind === 'sdk' ? c.params : c))),
    ).toContain(batch[0]?.event.event_id)
  })

  it('delivers a batch at the item limit, and one at the byte limit, in requests the vendor accepts', async () => {
    const byCount = fullBatch(connector, settings, 0, 1000)
    expect(byCount.batch.length).toBeGreaterThan(0)
    expect(kinds(await send(byCount.batch)).every((k) => k === 'delivered')).toBe(true)
    // Padded events reach the byte limit where the item limit allows it.
    const byBytes = fullBatch(connector, settings, 20_000, 1000)
    expect(byBytes.bytes).toBeLessThanOrEqual(byBytes.maxBytes)
    expect(kinds(await send(byBytes.batch)).every((k) => k === 'delivered')).toBe(true)
    const stored = await target.stored()
    for (const item of [...byCount.batch, ...byBytes.batch]) expect(stored).toContain(item.event.event_id)
  })

  it('rejects an oversized record alone and delivers the others', async (ctx) => {
    if (target.oversized) {
      ctx.annotate(`not applicable: ${target.oversized.unsupported}`)
      expect(target.oversized.unsupported.length).toBeGreaterThan(10)
      return
    }
    const { maxBytes } = connector.limits(settings)
    const [small1, small2] = batchOf(2)
    const huge = makeBatch(connector, settings, [
      freshEvent(padding(maxBytes + 1000)),
    ])[0] as BatchItem<unknown>
    // A transform that cuts long values keeps every record small: the fixture must say so (`oversized`).
    expect(bytesOf(connector, huge)).toBeGreaterThan(maxBytes)
    // A record past maxBytes travels alone in the runtime; here it shares a batch to prove it is rejected
    // on its own, whatever the connector does first (refuse it up front, or split on the vendor's 413).
    const outcomes = await send([small1 as BatchItem<unknown>, huge, small2 as BatchItem<unknown>])
    expect(kinds(outcomes)).toEqual(['delivered', 'rejected', 'delivered'])
  })

  it('retries a 429 no earlier than its Retry-After', async (ctx) => {
    if (isUnsupported(target.throttle)) {
      ctx.annotate(`not applicable: ${target.throttle.unsupported}`)
      return
    }
    target.throttle(3)
    const outcomes = await send(batchOf(2))
    for (const outcome of outcomes) {
      expect(outcome.kind).toBe('retry')
      expect(outcome.kind === 'retry' && (outcome.afterMs ?? 0)).toBeGreaterThanOrEqual(3000)
    }
  })

  it('retries a 5xx and a reset connection', async (ctx) => {
    if (!isUnsupported(target.unavailable)) {
      target.unavailable()
      expect(kinds(await send(batchOf(2)))).toEqual(['retry', 'retry'])
    } else ctx.annotate(`5xx not applicable: ${target.unavailable.unsupported}`)
    if (!isUnsupported(target.reset)) {
      target.reset()
      const batch = batchOf(2)
      // A network error either throws (the runtime retries the whole batch) or comes back as retries.
      const outcomes = await send(batch).catch(() =>
        batch.map((): Outcome => ({ kind: 'retry', reason: 'threw' })),
      )
      expect(kinds(outcomes)).toEqual(['retry', 'retry'])
    } else ctx.annotate(`reset not applicable: ${target.reset.unsupported}`)
  })

  it('pauses when the credentials are refused', async (ctx) => {
    if (isUnsupported(target.refuseCredentials)) {
      ctx.annotate(`not applicable: ${target.refuseCredentials.unsupported}`)
      return
    }
    target.refuseCredentials()
    const outcomes = await send(batchOf(2))
    for (const outcome of outcomes) {
      expect(outcome.kind).toBe('paused')
      expect(outcome.kind === 'paused' && outcome.cause).toBe('credentials')
    }
  })

  it('after a partial failure, resends only what failed', async (ctx) => {
    const partial = target.partial
    if (isUnsupported(partial)) {
      ctx.annotate(`not applicable: ${partial.unsupported}`)
      return
    }
    const batch = batchOf(4)
    const failedIds = [batch[1]?.event.event_id as string]
    partial.fail(failedIds)
    const first = await send(batch)
    expect(first[1]?.kind).toBe(partial.failed)
    const before = target.requests().length
    const again = batch.filter((_, i) => first[i]?.kind === 'retry')
    if (again.length > 0) expect(kinds(await send(again)).every((k) => k === 'delivered')).toBe(true)
    // The resend carried exactly the retried items, and nothing was stored twice.
    const resent = target
      .requests()
      .slice(before)
      .flatMap((r) => r.ids)
    expect(resent.sort()).toEqual(again.map((item) => item.event.event_id).sort())
    const stored = await target.stored()
    for (const item of batch) {
      const copies = stored.filter((id) => id === item.event.event_id).length
      expect(copies).toBe(partial.failed === 'rejected' && failedIds.includes(item.event.event_id) ? 0 : 1)
    }
  })
})
