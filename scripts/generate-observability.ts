import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderAll } from './observability/render.ts'

/** Writes the Prometheus rules and Grafana dashboards generated from deploy/prometheus/slos.yaml. */
const root = fileURLToPath(new URL('..', import.meta.url))
for (const [path, content] of Object.entries(renderAll())) {
  await mkdir(dirname(`${root}${path}`), { recursive: true })
  await writeFile(`${root}${path}`, content)
  console.log(`wrote ${path}`)
}
