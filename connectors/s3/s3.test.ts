import { randomUUID } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EnrichedEvent } from '../../src/event.ts'
import { makeEvent, makeView } from '../../test/fixtures/events.ts'
import { makeAgent, makeBatch, makeContext } from '../../test/fixtures/send-context.ts'
import { s3XmlError, startFaultProxy } from '../../test/stand-ins/aws-faults.ts'
import type { StandIn } from '../../test/stand-ins/recorder.ts'
import { RESOURCE_RETRY_MS } from '../aws/outcomes.ts'
import { acceptsSettings, settingsFrom } from '../aws/testing.ts'
import s3, { objectKey, type S3Resources, type S3Settings, settingsSchema } from './index.ts'
import { type LocalS3, S3RVER_AWS, startS3rver } from './testing.ts'

const log = pino({ level: 'silent' })

function settings(overrides: Record<string, unknown> = {}): S3Settings {
  return settingsFrom(settingsSchema, { ...S3RVER_AWS, bucket: 'video-lake', ...overrides })
}

const KEY_PATTERN =
  /^framewire\/events\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/\d{8}T\d{9}Z-[0-9a-f]{16}-\d+\.ndjson\.gz$/

describe('s3 settings, transform and keys', () => {
  it('needs a bucket and a region; rolls every 60 s, 5,000 events or 64 MiB by default', () => {
    expect(acceptsSettings(settingsSchema, { region: 'eu-west-1' })).toBe(false)
    expect(acceptsSettings(settingsSchema, { bucket: 'video-lake' })).toBe(false)
    expect(acceptsSettings(settingsSchema, { region: 'eu-west-1', bucket: 'Video_Lake' })).toBe(false)
    expect(
      acceptsSettings(settingsSchema, { region: 'eu-west-1', bucket: 'video-lake', prefix: '/abs/' }),
    ).toBe(false)
    expect(
      acceptsSettings(settingsSchema, { region: 'eu-west-1', bucket: 'video-lake', prefix: 'no-slash' }),
    ).toBe(false)
    expect(acceptsSettings(settingsSchema, { region: 'eu-west-1', bucket: 'video-lake', prefix: '' })).toBe(
      true,
    )
    expect(settings()).toMatchObject({
      prefix: 'framewire/events/',
      force_path_style: false,
      roll_interval_ms: 60_000,
      max_object_records: 5_000,
      max_object_bytes: 64 * 1024 * 1024,
    })
    expect(s3.limits(settings())).toEqual({ maxItems: 5_000, maxBytes: 64 * 1024 * 1024, lingerMs: 60_000 })
  })

  it('writes each enriched event as one NDJSON line', () => {
    const event = makeEvent({ type: 'seek_end' })
    expect(s3.transform(event, settings())).toBe(`${JSON.stringify(event)}\n`)
    expect(s3.recordBytes?.('{"é":1}\n')).toBe(9)
  })

  it('derives the key from the events only: same events, same key, whatever their order', () => {
    const late = makeEvent({ received_at: Date.UTC(2026, 2, 1, 13, 0, 0, 5) })
    const early = makeEvent({ received_at: Date.UTC(2026, 2, 1, 12, 59, 59, 999) })
    const key = objectKey('lake/', [late, early])
    expect(key).toMatch(/^lake\/dt=2026-03-01\/hour=12\/20260301T125959999Z-[0-9a-f]{16}-2\.ndjson\.gz$/)
    expect(objectKey('lake/', [early, late])).toBe(key)
    expect(objectKey('lake/', [early, late, makeEvent({ received_at: late.received_at })])).not.toBe(key)
    expect(objectKey('lake/', [early, { ...late, event_id: randomUUID() }])).not.toBe(key)
  })
})

describe('s3 send against s3rver', () => {
  const agent = makeAgent()
  let server: LocalS3
  let config: S3Settings
  let resources: S3Resources

  beforeAll(async () => {
    server = await startS3rver()
    config = settings({ endpoint: server.endpoint, force_path_style: true })
    resources = (await s3.open?.(config, { log, name: 's3' })) as S3Resources
  })
  afterAll(async () => {
    if (resources) await s3.close?.(resources)
    await server?.close()
    await agent.close()
  })

  async function newBucket() {
    const bucket = `lake-${randomUUID().slice(0, 8)}`
    await server.createBucket(bucket)
    return bucket
  }

  function send(events: EnrichedEvent[], overrides: Partial<S3Settings> = {}, using = resources) {
    const s = { ...config, ...overrides }
    return s3.send(makeBatch(s3, s, events), makeContext(s, agent, { resources: using }))
  }

  it('writes a batch as one gzipped NDJSON object under a time-partitioned key', async () => {
    const bucket = await newBucket()
    const events = [...makeView(20), ...makeView(15)]
    expect(await send(events, { bucket })).toEqual(events.map(() => ({ kind: 'delivered' })))
    const objects = await server.readObjects(bucket)
    expect(objects).toHaveLength(1)
    const [object] = objects
    expect(object?.key).toMatch(KEY_PATTERN)
    expect(object?.key).toContain('dt=2026-03-01/hour=12/')
    expect(object?.key.endsWith('-35.ndjson.gz')).toBe(true)
    expect(object?.contentType).toBe('application/gzip')
    expect(object?.contentEncoding).toBeUndefined()
    expect(object?.text).toBe(events.map((e) => `${JSON.stringify(e)}\n`).join(''))
  })

  it('overwrites the object when the same batch is sent again, instead of duplicating it', async () => {
    const bucket = await newBucket()
    const events = makeView(10)
    await send(events, { bucket })
    await send([...events].reverse(), { bucket })
    const objects = await server.readObjects(bucket)
    expect(objects).toHaveLength(1)
    expect(objects[0]?.text.trim().split('\n')).toHaveLength(10)
    await send(makeView(3), { bucket })
    expect(await server.readObjects(bucket)).toHaveLength(2)
  })

  it('plans the PutObject send makes: bucket, key, content type, and the body as its size and lines', async () => {
    const bucket = await newBucket()
    const events = makeView(4)
    const s = { ...config, bucket }
    const [call] = await s3.plan(makeBatch(s3, s, events), s)
    const key = objectKey(s.prefix, events)
    const lines = events.map((e) => `${JSON.stringify(e)}\n`)
    expect(call).toEqual({
      kind: 'sdk',
      client: '@aws-sdk/client-s3',
      operation: 'PutObject',
      target: `s3://${bucket}/${key} via ${server.endpoint}`,
      params: {
        Bucket: bucket,
        Key: key,
        ContentType: 'application/gzip',
        Body: { gzip_bytes: gzipSync(lines.join('')).length, ndjson_lines: lines },
      },
    })
    await send(events, { bucket })
    expect(await server.readObjects(bucket)).toEqual([expect.objectContaining({ key, text: lines.join('') })])
  })

  it('retries a missing bucket slowly and pauses on a key S3 does not know', async () => {
    const missing = await send(makeView(2), { bucket: 'no-such-bucket' })
    expect(missing).toEqual([
      expect.objectContaining({ kind: 'retry', status: 404, afterMs: RESOURCE_RETRY_MS }),
      expect.objectContaining({ kind: 'retry', status: 404, afterMs: RESOURCE_RETRY_MS }),
    ])
    expect(missing[0]?.kind === 'retry' && missing[0].reason).toMatch(/^NoSuchBucket/)

    const bucket = await newBucket()
    const stranger = settings({
      endpoint: server.endpoint,
      force_path_style: true,
      access_key_id: 'AKIDUNKNOWN',
    })
    const other = (await s3.open?.(stranger, { log, name: 's3' })) as S3Resources
    const denied = await send(makeView(2), { bucket }, other)
    await s3.close?.(other)
    expect(denied[0]).toMatchObject({
      kind: 'paused',
      cause: 'credentials',
      status: 403,
      reason: expect.stringMatching(/^InvalidAccessKeyId/),
    })
    expect(await server.readObjects(bucket)).toEqual([])
  })

  it('rejects a request S3 refuses for its content, and pauses on a 403 of any code', async () => {
    const proxy: StandIn = await startFaultProxy(server.endpoint)
    const viaProxy = settings({ endpoint: proxy.url, force_path_style: true })
    const proxied = (await s3.open?.(viaProxy, { log, name: 's3' })) as S3Resources
    try {
      const bucket = await newBucket()
      proxy.script.failNext(
        1,
        400,
        s3XmlError('InvalidStorageClass', 'The storage class you specified is not valid'),
      )
      expect((await send(makeView(2), { bucket }, proxied))[0]).toMatchObject({
        kind: 'rejected',
        status: 400,
        reason: expect.stringMatching(/^InvalidStorageClass/),
      })
      proxy.script.failNext(1, 403, s3XmlError('AccountProblem', 'There is a problem with your AWS account'))
      expect((await send(makeView(1), { bucket }, proxied))[0]).toMatchObject({
        kind: 'paused',
        cause: 'credentials',
      })
      expect((await send(makeView(2), { bucket }, proxied)).map((o) => o.kind)).toEqual([
        'delivered',
        'delivered',
      ])
    } finally {
      await s3.close?.(proxied)
      await proxy.close()
    }
  })
})
