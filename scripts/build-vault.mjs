#!/usr/bin/env node
/**
 * Builds the vault as static files into dist/vault/:
 *   main.js (+ main.js.map)  iframe/main.ts bundled by esbuild: ESM, browser, minified, es2020
 *   index.html, vault.css    copied from iframe/
 * It writes NO config.json: the deployer provides one beside these files
 * ({ "apiUrl": "...", "allowedOrigins": ["https://..."] }), and the server adds a
 * `frame-ancestors` CSP header listing the same origins.
 *
 * Usage: node scripts/build-vault.mjs
 */
import { build } from 'esbuild'
import { copyFile, mkdir, readFile, rm, stat } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const srcDir = join(root, 'iframe')
const outDir = join(root, 'dist', 'vault')

await rm(outDir, { recursive: true, force: true })
await mkdir(outDir, { recursive: true })

const result = await build({
  absWorkingDir: root,
  entryPoints: [join(srcDir, 'main.ts')],
  outfile: join(outDir, 'main.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
})
if (result.errors.length > 0) process.exit(1)

for (const file of ['index.html', 'vault.css']) await copyFile(join(srcDir, file), join(outDir, file))

const files = ['index.html', 'vault.css', 'main.js']
for (const file of files) {
  const path = join(outDir, file)
  const { size } = await stat(path)
  const gzip = gzipSync(await readFile(path)).length
  console.log(`${relative(root, path).padEnd(24)} ${kb(size).padStart(9)}  ${kb(gzip).padStart(9)} gzip`)
}

function kb(bytes) {
  return `${(bytes / 1024).toFixed(1)} KB`
}
