import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

/** Where scripts/build-console.ts writes the page (git-ignored; `npm ci` builds it through `prepare`). */
export const BUNDLE_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url))

/** The files the page consists of, by the name it is served under, with their content types. */
export const BUNDLE_FILES = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
} as const

export type BundleFile = keyof typeof BUNDLE_FILES
export type Bundle = Record<BundleFile, Buffer>

/** The built page, read once; undefined when it was never built. */
export async function loadBundle(dir = BUNDLE_DIR): Promise<Bundle | undefined> {
  try {
    const names = Object.keys(BUNDLE_FILES) as BundleFile[]
    const contents = await Promise.all(names.map((name) => readFile(dir + name)))
    return Object.fromEntries(names.map((name, i) => [name, contents[i]])) as Bundle
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}
