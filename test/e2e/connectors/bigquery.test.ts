import { afterAll, expect, it } from 'vitest'
import { dictionarySchema } from '../../../connectors/bigquery/schema.ts'
import { startPipeline, testConfig } from '../../helpers/pipeline.ts'
import { type BigQueryStandIn, startBigQueryStandIn } from '../../stand-ins/bigquery.ts'
import { postViews, until } from '../harness.ts'

const PROJECT = 'framewire-e2e'
const DATASET = 'telemetry'
const TOKEN = 'ya29.e2e-fake-token'

let standIn: BigQueryStandIn | undefined
let pipeline: Awaited<ReturnType<typeof startPipeline>> | undefined

afterAll(async () => {
  await pipeline?.stop()
  await standIn?.close()
})

it('streams events posted to the ingest into a BigQuery table it creates from the data dictionary', async () => {
  standIn = await startBigQueryStandIn({ projectId: PROJECT, token: TOKEN, datasets: [DATASET] })
  pipeline = await startPipeline(
    testConfig(`
connectors:
  - name: warehouse
    type: bigquery
    settings:
      project_id: ${PROJECT}
      dataset: ${DATASET}
      table: player_events
      api_endpoint: ${standIn.apiEndpoint}
      access_token: ${TOKEN}
      create_table: true
    retry: { initial_backoff_ms: 50, max_backoff_ms: 1000 }
`),
    'all',
  )
  const events = await postViews(pipeline.url, 100)
  const s = standIn
  await until(
    'all rows',
    () => (s.table(DATASET, 'player_events')?.rows.length ?? 0) >= events.length,
    60_000,
  )

  const table = s.table(DATASET, 'player_events')
  expect(table?.fields).toEqual(dictionarySchema())
  expect(table?.rows).toHaveLength(events.length)
  expect(new Set(table?.rows.map((r) => r.insertId))).toEqual(new Set(events.map((e) => e.event_id)))
  const first = events[0]
  const row = table?.rows.find((r) => r.insertId === first?.event_id)?.json
  expect(row).toMatchObject({
    event_id: first?.event_id,
    type: first?.type,
    view_id: first?.view_id,
    seq: 0,
    source: 'web',
    ts: new Date(first?.ts ?? 0).toISOString(),
    received_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
  })
  // Only the batches in flight before the table existed found none (404) and created it (a 409 for the
  // ones that lost the race); every other request was accepted as it was.
  const refused = s.received.map((r) => `${r.method} ${r.status}`).filter((st) => st !== 'POST 200')
  expect(refused.filter((st) => st !== 'POST 404' && st !== 'POST 409')).toEqual([])
  expect(refused.filter((st) => st === 'POST 404').length).toBeLessThanOrEqual(4)
  expect(s.duplicatesDropped()).toBe(0)
}, 120_000)
