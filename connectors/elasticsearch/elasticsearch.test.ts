import { gunzipSync } from 'node:zlib'
import { Client } from '@elastic/elasticsearch'
import { afterEach, describe, expect, it } from 'vitest'
import { credentialsRefused, transformer } from '../../test/fixtures/connector-results.ts'
import { makeEvent, makeView } from '../../test/fixtures/events.ts'
import { makeBatch, makeContext, standInSuite } from '../../test/fixtures/send-context.ts'
import { oneConnectorYaml } from '../../test/fixtures/settings.ts'
import { testConfig } from '../../test/helpers/pipeline.ts'
import { type ElasticsearchStandIn, startElasticsearchStandIn } from '../../test/stand-ins/elasticsearch.ts'
import {
  DEFAULT_ACTIONS,
  DEFAULT_REQUEST_BYTES,
  encodeAction,
  itemOutcome,
  outcomesFromBulkResponse,
} from './bulk.ts'
import elasticsearch, { type ElasticsearchSettings } from './index.ts'
import { indexName } from './transform.ts'

const API_KEY = Buffer.from('key-id:key-secret').toString('base64')

function settings(overrides: Partial<ElasticsearchSettings> = {}): ElasticsearchSettings {
  return {
    url: 'http://127.0.0.1:9',
    index: 'framewire-events-{yyyy.MM.dd}',
    api_key: API_KEY,
    compression: 'none',
    max_actions: DEFAULT_ACTIONS,
    max_request_bytes: DEFAULT_REQUEST_BYTES,
    ...overrides,
  }
}

const transform = transformer(elasticsearch, settings)

describe('elasticsearch transform', () => {
  it('targets the daily index of the event time with _id = event_id and an @timestamp', () => {
    const event = makeEvent({ type: 'buffer_start', buffer: { cause: 'stall', during_ad: false } })
    const action = elasticsearch.transform(event, settings())
    expect(action).toEqual({
      index: 'framewire-events-2026.03.01',
      id: event.event_id,
      document: { '@timestamp': new Date(event.ts_corrected).toISOString(), ...event },
    })
  })

  it('fills date placeholders in UTC and leaves plain names alone', () => {
    const at = new Date(Date.UTC(2026, 0, 9, 23, 59, 59))
    expect(indexName('fw-{yyyy.MM.dd}', at)).toBe('fw-2026.01.09')
    expect(indexName('fw-{yyyy-MM}-x-{HH}', at)).toBe('fw-2026-01-x-23')
    expect(indexName('logs-framewire-default', at)).toBe('logs-framewire-default')
    // Around midnight the skew-corrected time decides the day, not the client clock.
    const lateEvent = {
      ts: Date.UTC(2026, 0, 9, 23, 59, 59, 990),
      ts_corrected: Date.UTC(2026, 0, 10, 0, 0, 0, 30),
    }
    expect(transform(lateEvent).index).toBe('framewire-events-2026.01.10')
  })

  it('counts both NDJSON lines as the record size', () => {
    const action = transform()
    const encoded = encodeAction(action)
    expect(encoded.split('\n')).toHaveLength(3)
    expect(encoded.endsWith('\n')).toBe(true)
    expect(JSON.parse(encoded.split('\n')[0] ?? '')).toEqual({
      create: { _index: action.index, _id: action.id },
    })
    expect(elasticsearch.recordBytes?.(action)).toBe(Buffer.byteLength(encoded))
    expect(elasticsearch.limits(settings({ max_actions: 10, max_request_bytes: 2048 }))).toEqual({
      maxItems: 10,
      maxBytes: 2048,
    })
  })
})

describe('_bulk item outcomes', () => {
  it('maps created and already-existing to delivered, 429/5xx to retry, other 4xx to rejected', () => {
    expect(itemOutcome({ status: 201 }, 'Elasticsearch')).toEqual({ kind: 'delivered' })
    expect(
      itemOutcome(
        { status: 409, error: { type: 'version_conflict_engine_exception', reason: 'exists' } },
        'Elasticsearch',
      ),
    ).toEqual({ kind: 'delivered' })
    expect(
      itemOutcome(
        { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } },
        'Elasticsearch',
      ),
    ).toEqual({
      kind: 'retry',
      status: 429,
      reason: 'Elasticsearch 429 es_rejected_execution_exception: queue full',
    })
    expect(
      itemOutcome({ status: 503, error: { type: 'unavailable_shards_exception' } }, 'OpenSearch'),
    ).toEqual({
      kind: 'retry',
      status: 503,
      reason: 'OpenSearch 503 unavailable_shards_exception',
    })
    expect(
      itemOutcome(
        { status: 400, error: { type: 'document_parsing_exception', reason: 'bad field' } },
        'Elasticsearch',
      ),
    ).toMatchObject({
      kind: 'rejected',
      status: 400,
      reason: 'Elasticsearch 400 document_parsing_exception: bad field',
      body: expect.stringContaining('document_parsing_exception'),
    })
  })

  it('retries the whole batch when the response does not list one item per action', () => {
    expect(outcomesFromBulkResponse('{"errors":false,"items":[]}', 2, 'Elasticsearch')).toEqual([
      { kind: 'retry', reason: expect.stringContaining('unexpected response') },
      { kind: 'retry', reason: expect.stringContaining('unexpected response') },
    ])
    expect(outcomesFromBulkResponse('<html>', 1, 'Elasticsearch')[0]?.kind).toBe('retry')
  })
})

describe('elasticsearch settings', () => {
  const yaml = (entries: string) =>
    oneConnectorYaml('elasticsearch', `url: 'http://es.example.com:9200', ${entries}`)
  it('accepts an API key or basic auth, not both, and checks the index name', () => {
    expect(() => testConfig(yaml(`api_key: ${API_KEY}`))).not.toThrow()
    expect(() => testConfig(yaml('username: elastic, password: changeme'))).not.toThrow()
    expect(() => testConfig(yaml(`api_key: ${API_KEY}, username: elastic, password: x`))).toThrow(/username/)
    expect(() => testConfig(yaml('username: elastic'))).toThrow(/password/)
    expect(() => testConfig(yaml("index: 'Framewire'"))).toThrow(/index/)
    expect(() => testConfig(yaml("index: 'fw-{yyyy.ww}'"))).toThrow(/index/)
    expect(() => testConfig(yaml('max_request_bytes: 200000000'))).toThrow(/max_request_bytes/)
  })
})

describe('elasticsearch send against the stand-in', () => {
  let s: ElasticsearchStandIn
  const suite = standInSuite(() => s)

  it('creates one document per event in its daily index, as NDJSON with the API key', async () => {
    s = await startElasticsearchStandIn({ apiKey: API_KEY })
    const config = settings({ url: s.url })
    const events = [
      ...makeView(5, { start: Date.UTC(2026, 2, 1, 23, 59, 50) }),
      ...makeView(3, { start: Date.UTC(2026, 2, 2, 10, 0, 0) }),
    ]
    const outcomes = await elasticsearch.send(
      makeBatch(elasticsearch, config, events),
      makeContext(config, suite.agent),
    )

    expect(outcomes).toEqual(events.map(() => ({ kind: 'delivered' })))
    expect(s.received).toHaveLength(1)
    const request = s.received[0]
    expect(request?.url).toMatch(/^\/_bulk\?filter_path=/)
    expect(request?.headers.authorization).toBe(`ApiKey ${API_KEY}`)
    expect(s.contentTypes).toEqual(['application/x-ndjson'])
    const lines = request?.rawBody.toString().split('\n') ?? []
    expect(lines).toHaveLength(events.length * 2 + 1)
    expect(lines.at(-1)).toBe('')
    expect(s.uniqueCount()).toBe(8)
    for (const event of events) {
      const day = new Date(event.ts_corrected).toISOString().slice(0, 10).replaceAll('-', '.')
      expect(s.get(`framewire-events-${day}`, event.event_id)).toMatchObject({
        '@timestamp': new Date(event.ts_corrected).toISOString(),
        event_id: event.event_id,
        type: event.type,
        seq: event.seq,
      })
    }
    expect(new Set(s.documents.map((d) => d.index))).toEqual(
      new Set(['framewire-events-2026.03.01', 'framewire-events-2026.03.02']),
    )
  })

  it('a redelivered batch is refused with 409 per item and counts as delivered, without duplicates', async () => {
    s = await startElasticsearchStandIn({ apiKey: API_KEY })
    const config = settings({ url: s.url })
    const batch = makeBatch(elasticsearch, config, makeView(6))
    await elasticsearch.send(batch, makeContext(config, suite.agent))
    const again = await elasticsearch.send(batch, makeContext(config, suite.agent))
    expect(again.every((o) => o.kind === 'delivered')).toBe(true)
    expect(s.conflicts()).toBe(6)
    expect(s.uniqueCount()).toBe(6)
  })

  it('partial failure: retries the items answered 429, rejects the mapping error, keeps the rest', async () => {
    s = await startElasticsearchStandIn({ apiKey: API_KEY })
    const config = settings({ url: s.url })
    const numeric = makeEvent({ custom: { level: 5 } })
    await elasticsearch.send(makeBatch(elasticsearch, config, [numeric]), makeContext(config, suite.agent))

    const [ok1, throttled, ok2] = makeView(3)
    const badMapping = makeEvent({ custom: { level: 'high' } })
    const events = [ok1, throttled, badMapping, ok2].map((e) => e ?? makeEvent())
    s.failItem(events[1]?.event_id ?? '', {
      status: 429,
      reason: 'rejected execution of coordinating operation',
    })

    const outcomes = await elasticsearch.send(
      makeBatch(elasticsearch, config, events),
      makeContext(config, suite.agent),
    )
    expect(outcomes.map((o) => o.kind)).toEqual(['delivered', 'retry', 'rejected', 'delivered'])
    expect(outcomes[1]).toMatchObject({
      status: 429,
      reason: expect.stringContaining('es_rejected_execution_exception'),
    })
    expect(outcomes[2]).toMatchObject({
      status: 400,
      reason: expect.stringContaining('document_parsing_exception'),
      body: expect.stringContaining('custom.level'),
    })
    expect(s.uniqueCount()).toBe(3)

    // The runtime resends only the retried item; it goes through now.
    const retried = makeBatch(elasticsearch, config, [events[1] ?? makeEvent()])
    expect(await elasticsearch.send(retried, makeContext(config, suite.agent))).toEqual([
      { kind: 'delivered' },
    ])
    expect(s.uniqueCount()).toBe(4)
  })

  it('a wrong API key is refused with 401 security_exception → the connector pauses', async () => {
    s = await startElasticsearchStandIn({ apiKey: API_KEY })
    const wrong = settings({ url: s.url, api_key: Buffer.from('x:y').toString('base64') })
    const refused = await elasticsearch.send(
      makeBatch(elasticsearch, wrong, makeView(1)),
      makeContext(wrong, suite.agent),
    )
    expect(refused).toEqual(credentialsRefused(401))
    expect(s.uniqueCount()).toBe(0)
  })

  it('sends basic auth and gzip bodies the server decodes', async () => {
    s = await startElasticsearchStandIn({ basic: { username: 'framewire', password: 's3cret' } })
    const config = settings({
      url: `${s.url}/`,
      api_key: undefined,
      username: 'framewire',
      password: 's3cret',
      compression: 'gzip',
    })
    const outcomes = await elasticsearch.send(
      makeBatch(elasticsearch, config, makeView(4)),
      makeContext(config, suite.agent),
    )
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true)
    expect(s.encodings).toEqual(['gzip'])
    const raw = s.received[0]?.rawBody ?? Buffer.alloc(0)
    expect(gunzipSync(raw).toString().endsWith('\n')).toBe(true)
    expect(s.received[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('framewire:s3cret').toString('base64')}`,
    )
  })

  it('writes to a data stream: create with @timestamp', async () => {
    s = await startElasticsearchStandIn({ apiKey: API_KEY, dataStreams: ['logs-framewire-default'] })
    const config = settings({ url: s.url, index: 'logs-framewire-default' })
    const outcomes = await elasticsearch.send(
      makeBatch(elasticsearch, config, makeView(3)),
      makeContext(config, suite.agent),
    )
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true)
    expect(s.documents.map((d) => d.index)).toEqual(Array(3).fill('logs-framewire-default'))
  })
})

describe('the elasticsearch stand-in', () => {
  let s: ElasticsearchStandIn
  afterEach(async () => {
    await s?.close()
  })

  it('satisfies the official client (product check, vendor content type) and keeps create semantics', async () => {
    s = await startElasticsearchStandIn({ apiKey: API_KEY })
    const client = new Client({ node: s.url, auth: { apiKey: API_KEY }, maxRetries: 0 })
    try {
      const info = await client.info()
      expect(info.version.number).toMatch(/^9\./)
      const operations = [
        { create: { _index: 'fw-test', _id: 'a' } },
        { n: 1 },
        { create: { _index: 'fw-test', _id: 'a' } },
        { n: 2 },
      ]
      const result = await client.bulk({ operations })
      expect(result.errors).toBe(true)
      expect(result.items.map((i) => i.create?.status)).toEqual([201, 409])
      expect(s.contentTypes[0]).toMatch(/^application\/vnd\.elasticsearch\+x-ndjson; ?compatible-with=9$/)
    } finally {
      await client.close()
    }
  })

  it('refuses what the real server refuses', async () => {
    s = await startElasticsearchStandIn({ apiKey: API_KEY })
    const post = async (body: string, headers: Record<string, string>) => {
      const res = await fetch(`${s.url}/_bulk`, {
        method: 'POST',
        headers: { authorization: `ApiKey ${API_KEY}`, ...headers },
        body,
      })
      return { status: res.status, text: await res.text(), product: res.headers.get('x-elastic-product') }
    }
    const line = '{"create":{"_index":"fw","_id":"1"}}\n{"a":1}'
    const ndjson = { 'content-type': 'application/x-ndjson' }
    expect(await post(line, ndjson)).toMatchObject({
      status: 400,
      text: expect.stringContaining('terminated by a newline'),
    })
    expect(await post(`${line}\n`, { 'content-type': 'text/plain' })).toMatchObject({ status: 406 })
    expect(await post(`${line}\n`, { ...ndjson, authorization: '' })).toMatchObject({
      status: 401,
      product: 'Elasticsearch',
    })
    expect(await post('{"create":{"_index":"FW","_id":"1"}}\n{"a":1}\n', ndjson)).toMatchObject({
      status: 200,
      text: expect.stringContaining('invalid_index_name_exception'),
    })
    expect(await post(`${line}\n`, ndjson)).toMatchObject({
      status: 200,
      text: expect.stringContaining('"status":201'),
    })
    expect(s.uniqueCount()).toBe(1)
  })
})
