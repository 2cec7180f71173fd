// Serves files from one folder with a fixed set of headers; refuses anything outside it.
import { readFile } from 'node:fs/promises'
import path from 'node:path'

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
}

/** Returns true when it answered the request. */
export async function serveFile(res, rootDir, urlPath, headers = {}) {
  const relative = decodeURIComponent(urlPath === '/' ? '/index.html' : urlPath)
  const file = path.resolve(rootDir, '.' + relative)
  if (!file.startsWith(path.resolve(rootDir) + path.sep)) return false
  let body
  try {
    body = await readFile(file)
  } catch {
    return false
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  })
  res.end(body)
  return true
}

export function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve(server.address().port))
  })
}
