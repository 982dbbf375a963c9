import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import type { TraceConfig } from '../../src/config/types.ts'
import { memoryTraceStore } from '../../src/trace/memory-trace-store.ts'
import { traceMetrics } from '../../src/trace/trace-metrics.ts'
import { traceSampler } from '../../src/trace/trace-sampling.ts'
import type { TraceStage } from '../../src/trace/trace-stages.ts'
import type { TraceStore, TraceWrite } from '../../src/trace/trace-store.ts'
import { Tracer } from '../../src/trace/tracer.ts'

const config = (overrides: Partial<TraceConfig> = {}): TraceConfig => ({
  sampling: 'all',
  share: 0.01,
  ttl_seconds: 3600,
  failed_window_seconds: 60,
  max_events: 100,
  max_stages: 100,
  ...overrides,
})
const log = pino({ level: 'silent' })
const ids = Array.from({ length: 20_000 }, () => randomUUID())
const deadLettered: TraceStage = {
  stage: 'dead_lettered',
  at: 2,
  connector: 'c',
  reason: 'rejected',
  error: 'e',
}
const received: TraceStage = {
  stage: 'received',
  at: 1,
  source: 'web',
  format: 'application/json',
  node: 'n',
}

describe('trace sampling', () => {
  it('off traces nothing; all and failed trace everything', () => {
    expect(ids.filter(traceSampler(config({ sampling: 'off' })))).toHaveLength(0)
    expect(ids.filter(traceSampler(config({ sampling: 'all' })))).toHaveLength(ids.length)
    expect(ids.filter(traceSampler(config({ sampling: 'failed' })))).toHaveLength(ids.length)
  })

  it('share keeps about that share, the same events in every process, lower shares a subset', () => {
    const tenth = ids.filter(traceSampler(config({ sampling: 'share', share: 0.1 })))
    expect(tenth.length / ids.length).toBeGreaterThan(0.09)
    expect(tenth.length / ids.length).toBeLessThan(0.11)
    expect(ids.filter(traceSampler(config({ sampling: 'share', share: 0.1 })))).toEqual(tenth)
    const hundredth = ids.filter(traceSampler(config({ sampling: 'share', share: 0.01 })))
    expect(hundredth.length).toBeGreaterThan(0)
    expect(hundredth.every((id) => tenth.includes(id))).toBe(true)
  })
})

describe('tracer', () => {
  it('writes the stages of many events in one store call per flush', async () => {
    const calls: TraceWrite[][] = []
    const store: TraceStore = {
      async write(writes) {
        calls.push(writes)
      },
      async read() {
        return undefined
      },
    }
    const tracer = new Tracer(config(), store, log)
    for (const id of ids.slice(0, 50)) tracer.record(id, received)
    tracer.record(ids[0] as string, deadLettered)
    await tracer.flush()
    expect(calls).toHaveLength(1)
    expect(calls[0]).toHaveLength(50)
    expect(calls[0]?.[0]).toEqual({
      eventId: ids[0],
      stages: [received, deadLettered],
      ttlSeconds: 3600,
      keepSeconds: 3600,
    })
  })

  it('under sampling: failed, keeps events briefly and those with a failure for ttl_seconds', async () => {
    const calls: TraceWrite[][] = []
    const store: TraceStore = { write: async (w) => void calls.push(w), read: async () => undefined }
    const tracer = new Tracer(config({ sampling: 'failed' }), store, log)
    tracer.record('ok', received)
    tracer.record('bad', deadLettered)
    await tracer.flush()
    expect(calls[0]?.map((w) => [w.eventId, w.ttlSeconds, w.keepSeconds])).toEqual([
      ['ok', 60, 0],
      ['bad', 60, 3600],
    ])
  })

  it('reads stored and not yet flushed stages', async () => {
    const tracer = new Tracer(config(), memoryTraceStore(10, 10), log)
    tracer.record('e', received)
    await tracer.flush()
    tracer.record('e', deadLettered)
    expect(await tracer.read('e')).toEqual([received, deadLettered])
    await tracer.close()
  })

  it('counts a failed write and never throws to the caller', async () => {
    const before = (await traceMetrics.writeErrors.get()).values[0]?.value ?? 0
    const store: TraceStore = {
      write: async () => {
        throw new Error('redis down')
      },
      read: async () => undefined,
    }
    const tracer = new Tracer(config(), store, log)
    tracer.record('e', received)
    await expect(tracer.flush()).resolves.toBeUndefined()
    tracer.record('e', received)
    await tracer.flush()
    expect((await traceMetrics.writeErrors.get()).values[0]?.value).toBe(before + 2)
  })
})
