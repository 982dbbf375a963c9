import { Client } from '@opensearch-project/opensearch'
import { describe, expect, it } from 'vitest'
import { makeEvent, makeView } from '../../test/fixtures/events.ts'
import { makeBatch, makeContext, standInSuite } from '../../test/fixtures/send-context.ts'
import { oneConnectorYaml } from '../../test/fixtures/settings.ts'
import { testConfig } from '../../test/helpers/pipeline.ts'
import { type ElasticsearchStandIn, startElasticsearchStandIn } from '../../test/stand-ins/elasticsearch.ts'
import elasticsearch from '../elasticsearch/index.ts'
import opensearch, { type OpenSearchSettings } from './index.ts'

const USER = { username: 'framewire', password: 'os-secret' }

function settings(overrides: Partial<OpenSearchSettings> = {}): OpenSearchSettings {
  return {
    url: 'http://127.0.0.1:9',
    index: 'framewire-events-{yyyy.MM.dd}',
    ...USER,
    compression: 'none',
    max_actions: 5000,
    max_request_bytes: 5_000_000,
    ...overrides,
  }
}

describe('opensearch connector', () => {
  it('shares the _bulk mapping with elasticsearch', () => {
    const event = makeEvent()
    expect(opensearch.type).toBe('opensearch')
    expect(opensearch.transform(event, settings())).toEqual(elasticsearch.transform(event, settings()))
  })

  it('offers basic auth only: OpenSearch has no Elasticsearch-style API keys', () => {
    const yaml = (entries: string) =>
      oneConnectorYaml('opensearch', `url: 'https://search.example.com', ${entries}`)
    expect(() => testConfig(yaml('username: admin, password: x'))).not.toThrow()
    expect(() => testConfig(yaml('api_key: abc'))).toThrow(/api_key/)
  })
})

describe('opensearch send against the stand-in', () => {
  let s: ElasticsearchStandIn
  const suite = standInSuite(() => s)

  it('creates the documents with basic auth; a redelivery is a 409 per item, hence delivered', async () => {
    s = await startElasticsearchStandIn({ flavor: 'opensearch', basic: USER })
    const config = settings({ url: s.url })
    const events = makeView(7)
    const batch = makeBatch(opensearch, config, events)
    expect(await opensearch.send(batch, makeContext(config, suite.agent))).toEqual(
      events.map(() => ({ kind: 'delivered' })),
    )
    expect(await opensearch.send(batch, makeContext(config, suite.agent))).toEqual(
      events.map(() => ({ kind: 'delivered' })),
    )
    expect(s.uniqueCount()).toBe(7)
    expect(s.conflicts()).toBe(7)
    expect(s.received[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}`,
    )
  })

  it('partial failure: a 429 item is retried, a mapping error (mapper_parsing_exception) rejected', async () => {
    s = await startElasticsearchStandIn({ flavor: 'opensearch', basic: USER })
    const config = settings({ url: s.url })
    await opensearch.send(
      makeBatch(opensearch, config, [makeEvent({ custom: { n: 1 } })]),
      makeContext(config, suite.agent),
    )
    s.failNextItems(1, { status: 429 })
    const events = [makeEvent(), makeEvent({ custom: { n: 'one' } }), makeEvent()]
    const outcomes = await opensearch.send(
      makeBatch(opensearch, config, events),
      makeContext(config, suite.agent),
    )
    expect(outcomes.map((o) => o.kind)).toEqual(['retry', 'rejected', 'delivered'])
    expect(outcomes[0]).toMatchObject({
      reason: expect.stringMatching(/^OpenSearch 429 es_rejected_execution_exception/),
    })
    expect(outcomes[1]).toMatchObject({ reason: expect.stringContaining('mapper_parsing_exception') })
  })

  it('a wrong password is refused (401) → the connector pauses for every item', async () => {
    s = await startElasticsearchStandIn({ flavor: 'opensearch', basic: USER })
    const config = settings({ url: s.url, password: 'nope' })
    const outcomes = await opensearch.send(
      makeBatch(opensearch, config, makeView(2)),
      makeContext(config, suite.agent),
    )
    expect(outcomes.map((o) => [o.kind, o.kind === 'paused' && o.cause, 'status' in o && o.status])).toEqual([
      ['paused', 'credentials', 401],
      ['paused', 'credentials', 401],
    ])
  })

  it('the stand-in behaves for the official OpenSearch client, without the Elastic product header', async () => {
    s = await startElasticsearchStandIn({ flavor: 'opensearch', basic: USER })
    const client = new Client({ node: s.url, auth: USER, maxRetries: 0 })
    try {
      const info = await client.info()
      expect(info.body.version.distribution).toBe('opensearch')
      expect(info.headers?.['x-elastic-product']).toBeUndefined()
      const result = await client.bulk({ body: [{ create: { _index: 'fw', _id: '1' } }, { a: 1 }] })
      expect(result.body.items[0]?.create?.status).toBe(201)
    } finally {
      await client.close()
    }
  })
})
