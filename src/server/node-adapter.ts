/**
 * node:http ↔ fetch: turns an IncomingMessage into a Request, runs the handler, writes the
 * Response.
 *
 * 1. Methods the backend never answers get 405 here, before anything is read: a fetch Request
 *    cannot even carry TRACE, CONNECT or TRACK, and HEAD, PUT… are refused the same way.
 * 2. The body is NOT buffered up front. The Request gets a stream that pulls from the socket
 *    only when the handler reads it (the backend does so only after authentication and
 *    routing), and that fails with 413 past `maxBodyBytes` — or at once when Content-Length
 *    says so — without reading further.
 * 3. What the handler left unread (a refused upload, a 401, a GET with a body) is never
 *    drained: the response carries `Connection: close` and the request is destroyed once the
 *    response is written.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { OtpWalletError } from '../protocol/errors.js'
import type { ErrorContext } from './config.js'
import { ALLOWED_METHODS, bodyTooLarge, declaresTooLargeBody, internalErrorResponse, MAX_BODY_BYTES, methodNotAllowedResponse } from './http.js'

export interface NodeHandlerOptions {
  /** Bodies above this many bytes fail with 413 unread. Default 16 KiB (the backend's cap). */
  maxBodyBytes?: number
  /** Called when the handler itself fails (it should not). Default: nothing. */
  onError?: (error: unknown, context: ErrorContext) => void
}

const HOST_RE = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/

/** The request body as a pull stream: one socket chunk per read, nothing read unless asked. */
function bodyStream(req: IncomingMessage, maxBytes: number): ReadableStream<Uint8Array> {
  let total = 0
  let done = false
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (declaresTooLargeBody(req.headers['content-length'], maxBytes)) {
          done = true
          controller.error(bodyTooLarge(maxBytes))
          return
        }
        const fail = (error: unknown): void => {
          if (done) return
          done = true
          req.pause()
          controller.error(error)
        }
        req.on('data', (chunk: Uint8Array) => {
          if (done) return
          req.pause() // the next chunk only on the next pull
          total += chunk.length
          if (total > maxBytes) return fail(bodyTooLarge(maxBytes))
          controller.enqueue(new Uint8Array(chunk)) // a copy: Buffers may share a pool
        })
        req.on('end', () => {
          if (done) return
          done = true
          controller.close()
        })
        const aborted = () => fail(new OtpWalletError('INVALID_REQUEST', 'body: the request was aborted', { details: { field: 'body' } }))
        req.on('error', aborted)
        req.on('aborted', aborted)
        req.pause()
      },
      pull() {
        if (!done) req.resume()
      },
      cancel() {
        done = true
        req.pause()
      },
    },
    { highWaterMark: 0 },
  )
}

function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':')) continue
    if (name === 'transfer-encoding' || name === 'connection' || name === 'keep-alive') continue
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else headers.set(name, value)
  }
  return headers
}

/** Writes `response`; if the request body was not read to its end, closes instead of draining it. */
async function send(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  const bytes = new Uint8Array(await response.arrayBuffer())
  const out: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    out[name] = value
  })
  if (response.status !== 204 && response.status !== 304) out['content-length'] = String(bytes.length)
  if (!req.complete) out.connection = 'close'
  if (res.headersSent || res.destroyed) return
  res.writeHead(response.status, out)
  res.end(bytes, () => {
    // node:http would otherwise read (and discard) the rest of the body to reuse the connection.
    if (!req.complete) req.destroy()
  })
}

/**
 * @example
 * http.createServer(toNodeHandler(server.handler)).listen(8787)
 */
export function toNodeHandler(
  handler: (request: Request) => Promise<Response>,
  options: NodeHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES

  async function run(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase()
    if (!ALLOWED_METHODS.has(method)) return send(req, res, methodNotAllowedResponse(method))
    const hostHeader = req.headers.host ?? ''
    const host = HOST_RE.test(hostHeader) ? hostHeader : 'localhost'
    const target = req.url ?? '/'
    const url = new URL(`http://${host}${target.startsWith('/') ? target : `/${target}`}`)
    // GET cannot carry a body in a fetch Request: it is simply never read.
    const body = method === 'GET' ? undefined : bodyStream(req, maxBodyBytes)
    const init = { method, headers: toHeaders(req), ...(body === undefined ? {} : { body, duplex: 'half' }) }
    const response = await handler(new Request(url, init as RequestInit))
    await send(req, res, response)
  }

  return (req, res) => {
    run(req, res).catch(async (error: unknown) => {
      try {
        options.onError?.(error, { method: String(req.method), path: (req.url ?? '/').split('?')[0]! })
      } catch {
        // a failing logger must not turn into a crash
      }
      try {
        await send(req, res, internalErrorResponse())
      } catch {
        res.destroy()
      }
    })
  }
}
