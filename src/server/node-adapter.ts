/**
 * node:http ↔ fetch: turns an IncomingMessage into a Request, runs the handler, writes the
 * Response. The body is buffered up to the handler's limit; beyond it the rest is drained and
 * dropped (never stored), and the handler answers 400.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { MAX_BODY_BYTES } from './http.js'

const HOST_RE = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/

function collectBody(req: IncomingMessage, maxBytes: number): Promise<{ body: Uint8Array; overflow: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    let total = 0
    let overflow = false
    req.on('data', (chunk: Uint8Array) => {
      if (overflow) return
      total += chunk.length
      if (total > maxBytes) {
        overflow = true
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      const kept = overflow ? maxBytes + 1 : total
      const body = new Uint8Array(kept)
      let offset = 0
      for (const c of chunks) {
        body.set(c, offset)
        offset += c.length
      }
      resolve({ body, overflow })
    })
    req.on('error', reject)
  })
}

function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':')) continue
    if (name === 'content-length' || name === 'transfer-encoding' || name === 'connection') continue
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else headers.set(name, value)
  }
  return headers
}

function writeFailure(res: ServerResponse): void {
  if (!res.headersSent) {
    res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' })
  }
  res.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'Internal error' } }))
}

/**
 * @example
 * http.createServer(toNodeHandler(server.handler)).listen(8787)
 */
export function toNodeHandler(
  handler: (request: Request) => Promise<Response>,
  maxBodyBytes = MAX_BODY_BYTES,
): (req: IncomingMessage, res: ServerResponse) => void {
  async function run(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase()
    const hostHeader = req.headers.host ?? ''
    const host = HOST_RE.test(hostHeader) ? hostHeader : 'localhost'
    const target = req.url ?? '/'
    const url = new URL(`http://${host}${target.startsWith('/') ? target : `/${target}`}`)
    const headers = toHeaders(req)
    let body: Uint8Array | undefined
    if (method !== 'GET' && method !== 'HEAD') {
      const collected = await collectBody(req, maxBodyBytes)
      body = collected.body
      if (collected.overflow) res.setHeader('Connection', 'close')
    } else {
      req.resume()
    }
    const request = new Request(url, { method, headers, ...(body === undefined ? {} : { body: new Uint8Array(body) }) })
    const response = await handler(request)
    const out: Record<string, string> = {}
    response.headers.forEach((value, name) => {
      out[name] = value
    })
    res.writeHead(response.status, out)
    res.end(new Uint8Array(await response.arrayBuffer()))
  }

  return (req, res) => {
    run(req, res).catch(() => writeFailure(res))
  }
}
