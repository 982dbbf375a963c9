/** Writes the files generated from the config and settings schemas (src/config/docs/generated-files.ts). */

import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generatedFiles } from '../src/config/docs/generated-files.ts'

const root = join(import.meta.dirname, '..')
for (const file of generatedFiles(root)) {
  const path = join(root, file.path)
  if (existsSync(path) && readFileSync(path, 'utf8') === file.content) continue
  writeFileSync(path, file.content)
  console.log(`wrote ${file.path}`)
}
