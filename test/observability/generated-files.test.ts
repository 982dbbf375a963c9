import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { renderAll } from '../../scripts/observability/render.ts'

/** The committed rules and dashboards are what the generator makes of deploy/prometheus/slos.yaml today. */
describe('generated observability files', () => {
  const files = Object.entries(renderAll())

  it('cover the rules and the four dashboards', () => {
    expect(files.map(([path]) => path).sort()).toEqual([
      'dashboards/bus.json',
      'dashboards/connector.json',
      'dashboards/ingest.json',
      'dashboards/overview.json',
      'deploy/prometheus/framewire-rules.yaml',
    ])
  })

  it.each(files)('%s matches the generator (run npm run generate:observability)', async (path, generated) => {
    const committed = await readFile(new URL(`../../${path}`, import.meta.url), 'utf8')
    expect(committed).toBe(generated)
  })

  it.each(files.filter(([path]) => path.endsWith('.json')))(
    '%s sends every query to the Prometheus datasource variable',
    (_path, json) => {
      const dashboard = JSON.parse(json)
      expect(dashboard.templating.list[0]).toMatchObject({
        name: 'datasource',
        type: 'datasource',
        query: 'prometheus',
      })
      for (const panel of dashboard.panels.filter((p: { type: string }) => p.type !== 'row')) {
        expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' })
        expect(panel.targets.length, panel.title).toBeGreaterThan(0)
        for (const t of panel.targets) expect(t.datasource, panel.title).toEqual(panel.datasource)
      }
    },
  )
})
