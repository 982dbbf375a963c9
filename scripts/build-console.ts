import { copyFile, mkdir } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { BUNDLE_DIR } from '../src/console/console-bundle.ts'

const CLIENT = fileURLToPath(new URL('../src/console/client/', import.meta.url))

/**
 * Bundles the console page into BUNDLE_DIR: app.js, app.css and index.html, everything the page loads,
 * so it works offline. Runs from `prepare` (npm ci) and `npm run build:console`.
 */
export async function buildConsole(outdir = BUNDLE_DIR): Promise<void> {
  await mkdir(outdir, { recursive: true })
  await build({
    entryPoints: [
      { in: `${CLIENT}main.ts`, out: 'app' },
      { in: `${CLIENT}console.css`, out: 'app' },
    ],
    outdir,
    bundle: true,
    minify: true,
    format: 'esm',
    // Browsers of the last few years; the page needs EventSource and private class fields.
    target: ['chrome100', 'firefox100', 'safari15.4'],
    legalComments: 'none',
    logLevel: 'warning',
  })
  await copyFile(`${CLIENT}index.html`, `${outdir}index.html`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await buildConsole()
