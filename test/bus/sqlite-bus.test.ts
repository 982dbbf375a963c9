import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Bus, ConsumedRecord, ConsumeOptions, Subscription } from '../../src/bus/bus.ts'
import { partitionOf } from '../../src/bus/partition-of.ts'
import { openSqliteBus } from '../../src/bus/sqlite-bus.ts'
import { openSqliteLog } from '../../src/bus/sqlite-log.ts'
import { enforceRetention } from '../../src/bus/sqlite-retention.ts'
import { registry } from '../../src/observability/metrics.ts'
import { until } from '../e2e/harness.ts'
import { silentLogger } from '../helpers/pipeline.ts'

const open: Bus[] = []
afterEach(async () => {
  for (const bus of open.splice(0)) await bus.close()
})

const tempPath = () => join(mkdtempSync(join(tmpdir(), 'fw-sqlite-bus-')), 'bus.db')

function openBus(path = tempPath(), retention = { retentionMs: 3_600_000, retentionBytes: 1 << 30 }) {
  const bus = openSqliteBus({ path, ...retention, logger: silentLogger })
  open.push(bus)
  return { bus, path }
}

const record = (key: string, value: string) => ({ topic: 'events', key, value: Buffer.from(value) })

/** Subscribes and collects what arrives; `commitEach` commits every record as it is consumed. */
async function consume(bus: Bus, options: Partial<ConsumeOptions> & { commitEach?: boolean } = {}) {
  const got: ConsumedRecord[] = []
  const revoked: number[] = []
  let subscription: Subscription | undefined
  subscription = await bus.subscribe({
    group: 'g',
    topics: ['events'],
    fromBeginning: true,
    ...options,
    async onRecord(r) {
      got.push(r)
      if (options.commitEach) await subscription?.commit(r.topic, r.partition, r.offset + 1n)
    },
    onRevoke: (_topic, partitions) => revoked.push(...partitions),
  })
  return { got, revoked, subscription }
}

const metricValue = async (name: string, suffix = '_count') => {
  const metric = await registry.getSingleMetric(name)?.get()
  return (
    metric?.values.find((v) => (v as { metricName?: string }).metricName === `${name}${suffix}`)?.value ?? 0
  )
}

describe('embedded SQLite bus', () => {
  it('keeps per-key order in one partition and gives every record an offset', async () => {
    const { bus } = openBus()
    await bus.ensureTopics([{ topic: 'events', partitions: 3, replicationFactor: 1 }])
    const keys = ['view-a', 'view-b', 'view-c', 'view-d']
    for (let i = 0; i < 40; i++) await bus.append([record(keys[i % 4] as string, `v${i}`)])
    const { got } = await consume(bus)
    await until('all records', () => got.length === 40, 5000)
    for (const key of keys) {
      const mine = got.filter((r) => r.key === key)
      expect(new Set(mine.map((r) => r.partition))).toEqual(new Set([partitionOf(key, 3)]))
      const values = mine.map((r) => Number(r.value.toString().slice(1)))
      expect(values).toEqual([...values].sort((a, b) => a - b))
    }
    for (const p of [0, 1, 2]) {
      const offsets = got.filter((r) => r.partition === p).map((r) => r.offset)
      expect(offsets).toEqual(offsets.map((_, i) => BigInt(i)))
    }
  })

  it('commits the appends of concurrent callers in one transaction', async () => {
    const { bus } = openBus()
    await bus.ensureTopics([{ topic: 'events', partitions: 3, replicationFactor: 1 }])
    const before = await metricValue('framewire_bus_write_seconds')
    await Promise.all(Array.from({ length: 100 }, (_, i) => bus.append([record(`k${i}`, `v${i}`)])))
    expect((await metricValue('framewire_bus_write_seconds')) - before).toBe(1)
  })

  it('resumes a group from its committed offsets after a restart, and a new group from the start or the end', async () => {
    const path = tempPath()
    const first = openBus(path).bus
    await first.ensureTopics([{ topic: 'events', partitions: 2, replicationFactor: 1 }])
    await first.append(Array.from({ length: 20 }, (_, i) => record(`k${i}`, `a${i}`)))
    const { got, subscription } = await consume(first, { commitEach: true })
    await until('first pass', () => got.length === 20, 5000)
    await subscription?.stop()
    await first.append(Array.from({ length: 5 }, (_, i) => record(`k${i}`, `b${i}`)))
    await first.close()

    const second = openBus(path).bus
    const resumed = await consume(second)
    const fromStart = await consume(second, { group: 'new-from-start' })
    const fromEnd = await consume(second, { group: 'new-from-end', fromBeginning: false })
    await until('resumed records', () => resumed.got.length === 5 && fromStart.got.length === 25, 5000)
    expect(resumed.got.map((r) => r.value.toString()).sort()).toEqual(['b0', 'b1', 'b2', 'b3', 'b4'])
    await second.append([record('late', 'c0')])
    await until('the record after the end', () => fromEnd.got.length === 1, 5000)
    expect(fromEnd.got[0]?.value.toString()).toBe('c0')
  })

  it('balances a group over its members and hands partitions over when one leaves', async () => {
    const { bus } = openBus()
    await bus.ensureTopics([{ topic: 'events', partitions: 4, replicationFactor: 1 }])
    const a = await consume(bus)
    const b = await consume(bus)
    expect(a.revoked.sort()).toEqual([1, 3])
    await bus.append(Array.from({ length: 40 }, (_, i) => record(`k${i}`, `v${i}`)))
    await until('both members', () => a.got.length + b.got.length === 40, 5000)
    expect(new Set(a.got.map((r) => r.partition))).toEqual(new Set([0, 2]))
    expect(new Set(b.got.map((r) => r.partition))).toEqual(new Set([1, 3]))
    await b.subscription?.stop()
    // Nothing was committed, so the partitions b had are read again by a.
    await until('hand-over', () => a.got.length === 40, 5000)
    expect(new Set(a.got.map((r) => r.partition))).toEqual(new Set([0, 1, 2, 3]))
  })

  it('refuses a group that another live process consumes', async () => {
    const path = tempPath()
    const first = openBus(path).bus
    await first.ensureTopics([{ topic: 'events', partitions: 1, replicationFactor: 1 }])
    await consume(first)
    // A second bus on the same file stands for another process: it has its own owner id.
    const second = openBus(path).bus
    await expect(consume(second)).rejects.toThrow(/consumer group "g" is in use by process/)
    await expect(consume(second, { group: 'other' })).resolves.toBeDefined()
  })

  it('stops handing out records while paused, and goes on after resume', async () => {
    const { bus } = openBus()
    await bus.ensureTopics([{ topic: 'events', partitions: 1, replicationFactor: 1 }])
    const { got, subscription } = await consume(bus)
    subscription?.pause()
    await bus.append([record('k', 'v1'), record('k', 'v2')])
    await new Promise((r) => setTimeout(r, 400))
    expect(got).toHaveLength(0)
    subscription?.resume()
    await until('records after resume', () => got.length === 2, 5000)
  })

  it('rejects appends to a topic that does not exist', async () => {
    const { bus } = openBus()
    await expect(bus.append([record('k', 'v')])).rejects.toThrow(/topic "events" does not exist/)
  })
})

describe('embedded bus retention', () => {
  it('deletes records past the age limit and never reuses their offsets', async () => {
    const path = tempPath()
    const { bus } = openBus(path)
    await bus.ensureTopics([{ topic: 'events', partitions: 1, replicationFactor: 1 }])
    await bus.append(Array.from({ length: 10 }, (_, i) => record('k', `old${i}`)))
    const log = openSqliteLog(path)
    try {
      enforceRetention(log, { maxAgeMs: 60_000, maxBytes: 1 << 30 }, Date.now() + 120_000)
      expect(log.lowWatermark(1, 0)).toBe(10)
    } finally {
      log.close()
    }
    await bus.append([record('k', 'new')])
    const { got } = await consume(bus)
    await until('the new record', () => got.length === 1, 5000)
    expect(got[0]).toMatchObject({ offset: 10n })
    expect(got[0]?.value.toString()).toBe('new')
  })

  it('trims the oldest records of every partition when the file outgrows the size limit', async () => {
    const path = tempPath()
    const { bus } = openBus(path)
    await bus.ensureTopics([{ topic: 'events', partitions: 2, replicationFactor: 1 }])
    const payload = 'x'.repeat(2000)
    for (let i = 0; i < 20; i++)
      await bus.append(Array.from({ length: 100 }, (_, j) => record(`k${j}`, `${i}-${payload}`)))
    const log = openSqliteLog(path)
    try {
      const used = log.usedBytes()
      enforceRetention(log, { maxAgeMs: 3_600_000, maxBytes: Math.floor(used / 2) }, Date.now())
      expect(log.usedBytes()).toBeLessThanOrEqual(used / 2)
      for (const p of [0, 1]) {
        expect(log.lowWatermark(1, p)).toBeGreaterThan(0)
        expect(log.highWatermark(1, p)).toBeGreaterThan(log.lowWatermark(1, p))
      }
    } finally {
      log.close()
    }
  })
})
