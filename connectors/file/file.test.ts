import { access, mkdtemp, open, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { makeEvent, makeView } from '../../test/fixtures/events.ts'
import { makeBatch, makeContext } from '../../test/fixtures/send-context.ts'
import { acceptsSettings, settingsFrom } from '../aws/testing.ts'
import { type AppendLog, openAppendLog } from './append-log.ts'
import file, { type FileSettings, settingsSchema } from './index.ts'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fw-file-'))
})
afterEach(async () => {
  vi.restoreAllMocks()
  await rm(dir, { recursive: true, force: true })
})

const settings = (overrides: Record<string, unknown> = {}): FileSettings =>
  settingsFrom(settingsSchema, { path: join(dir, 'out', 'events.ndjson'), ...overrides })

// The file connector makes no HTTP requests: its context needs no pool.
const fileContext = (config: FileSettings, log: AppendLog) =>
  makeContext(config, undefined as never, { resources: log })

const lines = async (path: string) => (await readFile(path, 'utf8')).split('\n')

describe('file settings and transform', () => {
  it('needs a path; writes 1000 events or 4 MiB at a time by default', () => {
    expect(acceptsSettings(settingsSchema, {})).toBe(false)
    expect(acceptsSettings(settingsSchema, { path: '' })).toBe(false)
    expect(acceptsSettings(settingsSchema, { path: 'a.ndjson', max_batch_bytes: 10 })).toBe(false)
    expect(settings()).toMatchObject({
      max_events: 1000,
      max_batch_bytes: 4 * 1024 * 1024,
    })
    expect(file.limits(settings({ max_events: 7, max_batch_bytes: 2048 }))).toEqual({
      maxItems: 7,
      maxBytes: 2048,
    })
  })

  it('turns each enriched event into one JSON line', () => {
    const event = makeEvent({ type: 'heartbeat' })
    expect(file.transform(event, settings())).toBe(JSON.stringify(event))
    expect(file.recordBytes?.('{"é":1}')).toBe(9)
  })

  it('plans the append of the lines without touching the file; a line over max_batch_bytes is left out', async () => {
    const config = settings({ max_batch_bytes: 4096 })
    const [small, huge] = makeBatch(file, config, [makeEvent(), makeEvent({ blob: 'x'.repeat(5000) })])
    if (!small || !huge) throw new Error('transform skipped an event')
    expect(await file.plan([small, huge], config)).toEqual([
      { kind: 'sdk', client: 'node:fs', operation: 'append', target: config.path, params: [small.record] },
    ])
    expect(await file.plan([huge], config)).toEqual([])
    await expect(access(join(dir, 'out'))).rejects.toThrow(/ENOENT/)
  })
})

describe('file send', () => {
  it('appends each batch as NDJSON, creating the directories, and keeps earlier lines', async () => {
    const config = settings()
    const log = await file.open?.(config, { log: pino({ level: 'silent' }), name: 'archive' })
    if (!log) throw new Error('the file connector opens its file')
    const first = makeView(5)
    const second = makeView(3)
    const ctx = fileContext(config, log)
    expect(await file.send(makeBatch(file, config, first), ctx)).toEqual(Array(5).fill({ kind: 'delivered' }))
    await file.send(makeBatch(file, config, second), ctx)
    await file.close?.(log)

    const written = await lines(config.path)
    expect(written.pop()).toBe('')
    expect(written.map((line) => JSON.parse(line))).toEqual([...first, ...second])
  })

  it('writes the other lines of a batch and rejects a line over max_batch_bytes', async () => {
    const config = settings({ max_batch_bytes: 4096 })
    const log = await openAppendLog(config.path)
    const events = [makeEvent(), makeEvent({ blob: 'x'.repeat(5000) }), makeEvent()]
    const outcomes = await file.send(makeBatch(file, config, events), fileContext(config, log))
    await log.close()
    expect(outcomes.map((o) => o.kind)).toEqual(['delivered', 'rejected', 'delivered'])
    expect(outcomes[1]).toMatchObject({ reason: expect.stringContaining('over max_batch_bytes (4096)') })
    const ids = (await lines(config.path)).filter(Boolean).map((line) => JSON.parse(line).event_id)
    expect(ids).toEqual([events[0]?.event_id, events[2]?.event_id])
  })

  it('never interleaves concurrent batches', async () => {
    const config = settings()
    const log = await openAppendLog(config.path)
    const ctx = fileContext(config, log)
    const views = Array.from({ length: 8 }, () => makeView(200))
    await Promise.all(views.map((view) => file.send(makeBatch(file, config, view), ctx)))
    await log.close()

    const ids = (await lines(config.path)).filter(Boolean).map((line) => JSON.parse(line).event_id)
    // Each view's 200 lines stand together, in order, whichever batch went first.
    const starts = views.map((view) => ids.indexOf(view[0]?.event_id))
    for (const [i, view] of views.entries()) {
      expect(ids.slice(starts[i], (starts[i] ?? 0) + 200)).toEqual(view.map((e) => e.event_id))
    }
  })
})

describe('append log', () => {
  it('cuts a failed append off again and fails, so the retried batch is written once', async () => {
    const path = join(dir, 'log.ndjson')
    const log = await openAppendLog(path)
    await log.append('one\n')
    const probe = await open(path, 'r')
    const datasync = vi.spyOn(Object.getPrototypeOf(probe), 'datasync')
    await probe.close()
    datasync.mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }))

    await expect(log.append('two\n')).rejects.toThrow(/EIO/)
    expect(await readFile(path, 'utf8')).toBe('one\n')
    await log.append('two\n')
    await log.close()
    expect(await readFile(path, 'utf8')).toBe('one\ntwo\n')
    expect(datasync).toHaveBeenCalledTimes(2)
  })

  it('writes appends that arrive during a write together, with one fsync', async () => {
    const path = join(dir, 'log.ndjson')
    const log = await openAppendLog(path)
    const probe = await open(path, 'r')
    const datasync = vi.spyOn(Object.getPrototypeOf(probe), 'datasync')
    await probe.close()
    await Promise.all(Array.from({ length: 8 }, (_, i) => log.append(`${i}\n`)))
    await log.close()
    expect(await readFile(path, 'utf8')).toBe('0\n1\n2\n3\n4\n5\n6\n7\n')
    // The first append goes alone; the seven that queued behind it share the next fsync.
    expect(datasync).toHaveBeenCalledTimes(2)
  })

  it('fails on a full disk', async () => {
    const log = await openAppendLog('/dev/full')
    await expect(log.append('x\n')).rejects.toThrow(/ENOSPC/)
    await log.close()
  })
})
