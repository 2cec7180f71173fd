/** `server.nodeHandler` behind a real node:http server. */
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { toNodeHandler } from '../../../src/server/node-adapter.js'
import { createMemoryStore } from '../../../src/server/stores/memory-store.js'
import { makeHarness, targetKey, token, VAULT_ORIGIN, type Harness } from './helpers.js'

let h: Harness
let httpServer: http.Server
let base: string
let port: number
/** The server side of the latest connection, to see how many bytes it read. */
let lastSocket: net.Socket | undefined

beforeAll(async () => {
  h = makeHarness(createMemoryStore())
  httpServer = http.createServer((req, res) => {
    lastSocket = req.socket
    h.server.nodeHandler(req, res)
  })
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
  port = (httpServer.address() as AddressInfo).port
  base = `http://127.0.0.1:${port}`
})

beforeEach(() => {
  lastSocket = undefined
})

afterAll(async () => {
  h.server.close()
  httpServer.closeAllConnections()
  await new Promise<void>((resolve) => httpServer.close(() => resolve()))
})

interface RawResult {
  /** 0 when no response came within the timeout. */
  status: number
  headers: Record<string, string>
  body: string
  /** Body bytes the client managed to hand to its socket before the connection ended. */
  clientWrote: number
  /** Bytes the server's socket read in all (head and body). */
  serverRead: number
}

/**
 * Sends `head` over a raw TCP socket, then (if `uploadBytes`) a chunked body of that size, as
 * fast as the connection takes it and for as long as it stays open: like a client uploading a
 * huge file. Resolves once the connection is closed or `timeoutMs` passed.
 */
function rawRequest(head: string, uploadBytes = 0, timeoutMs = 5000): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    const framed = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])
    let clientWrote = 0
    let received = Buffer.alloc(0)
    let ended = false
    const finish = async () => {
      if (ended) return
      ended = true
      clearTimeout(timer)
      socket.destroy()
      const server = lastSocket
      if (server !== undefined && !server.destroyed) await new Promise((r) => setTimeout(r, 50))
      resolve({ ...parse(received), clientWrote, serverRead: server?.bytesRead ?? -1 })
    }
    const timer = setTimeout(finish, timeoutMs)
    socket.on('data', (d: Buffer) => {
      received = Buffer.concat([received, d])
    })
    socket.on('close', finish)
    socket.on('error', () => undefined) // EPIPE / ECONNRESET once the server hangs up: expected
    socket.write(head)
    const pump = (): void => {
      while (!ended && clientWrote < uploadBytes && !socket.destroyed) {
        clientWrote += chunk.length
        if (!socket.write(framed)) return void socket.once('drain', pump)
      }
      if (!ended && uploadBytes > 0 && clientWrote >= uploadBytes && !socket.destroyed) socket.write('0\r\n\r\n')
    }
    if (uploadBytes > 0) pump()
  })
}

function parse(raw: Buffer): Pick<RawResult, 'status' | 'headers' | 'body'> {
  const text = raw.toString('latin1')
  const split = text.indexOf('\r\n\r\n')
  if (split < 0) return { status: 0, headers: {}, body: '' }
  const [statusLine, ...lines] = text.slice(0, split).split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const i = line.indexOf(':')
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim()
  }
  let body = text.slice(split + 4)
  if (headers['content-length'] !== undefined) body = body.slice(0, Number(headers['content-length']))
  else if (headers['transfer-encoding'] === 'chunked') {
    let out = ''
    for (let at = 0; ; ) {
      const eol = body.indexOf('\r\n', at)
      const size = eol < 0 ? 0 : parseInt(body.slice(at, eol), 16)
      if (!(size > 0)) break
      out += body.slice(eol + 2, eol + 2 + size)
      at = eol + 2 + size + 2
    }
    body = out
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body }
}

const MB = 1024 * 1024

describe('nodeHandler', () => {
  it('serves GET /wallet and POST /otp/challenge with CORS headers', async () => {
    const wallet = await fetch(`${base}/wallet`, { headers: { Authorization: token('alice'), Origin: VAULT_ORIGIN } })
    expect(wallet.status).toBe(200)
    expect(wallet.headers.get('access-control-allow-origin')).toBe(VAULT_ORIGIN)
    expect(wallet.headers.get('content-type')).toContain('application/json')
    const body = await wallet.json()
    expect(body.address).toMatch(/^0x[0-9a-fA-F]{40}$/)
    expect(body.session).toEqual({ ttlSeconds: 3600, maxTtlSeconds: 86_400 })

    const target = await targetKey()
    const challenge = await fetch(`${base}/otp/challenge`, {
      method: 'POST',
      headers: { Authorization: token('alice'), Origin: VAULT_ORIGIN, 'Content-Type': 'application/json' },
      body: JSON.stringify({ targetPublicKey: target.hex }),
    })
    expect(challenge.status).toBe(200)
    expect((await challenge.json()).codeLength).toBe(6)
  })

  it('answers preflights; other origins get a 403 they can read', async () => {
    const pre = await fetch(`${base}/otp/verify`, { method: 'OPTIONS', headers: { Origin: VAULT_ORIGIN, 'Access-Control-Request-Method': 'POST' } })
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type')
    const evil = await fetch(`${base}/wallet`, { headers: { Authorization: token('alice'), Origin: 'https://evil.example' } })
    expect(evil.status).toBe(403)
    expect(evil.headers.get('access-control-allow-origin')).toBe('https://evil.example')
    expect(evil.headers.get('vary')).toContain('Origin')
    expect((await evil.json()).error.code).toBe('ORIGIN_NOT_ALLOWED')
  })

  it('refuses an oversized body with 413 INVALID_REQUEST (field body)', async () => {
    const res = await fetch(`${base}/otp/challenge`, {
      method: 'POST',
      headers: { Authorization: token('alice'), 'Content-Type': 'application/json' },
      body: JSON.stringify({ targetPublicKey: 'x'.repeat(200_000) }),
    })
    expect(res.status).toBe(413)
    expect((await res.json()).error).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'body' } })
  })

  // (node:http itself answers TRACK and unknown methods 400, and drops CONNECT when nothing
  // listens for 'connect': those never reach a request listener.)
  it('TRACE, HEAD, PUT, DELETE… are 405 with the JSON error, Allow and the usual headers', async () => {
    const errorsBefore = h.errors.length
    for (const method of ['TRACE', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'PROPFIND']) {
      const res = await rawRequest(`${method} /wallet HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${token('alice')}\r\nConnection: close\r\n\r\n`)
      expect(res.status, method).toBe(405)
      expect(res.headers).toMatchObject({
        allow: 'GET, POST, OPTIONS',
        'content-type': 'application/json; charset=utf-8',
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
        vary: 'Origin',
      })
      if (method !== 'HEAD') {
        expect(JSON.parse(res.body)).toEqual({
          error: { code: 'INVALID_REQUEST', message: `method: ${method} is not supported; use GET, POST, OPTIONS`, details: { field: 'method' } },
        })
      }
    }
    expect(h.errors).toHaveLength(errorsBefore) // refusals, not failures
  })

  it('a huge chunked upload without a token: 401 after reading none of it, and the connection is closed', async () => {
    const res = await rawRequest(
      `POST /otp/challenge HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
      64 * MB,
    )
    expect(res.status).toBe(401)
    expect(JSON.parse(res.body).error.code).toBe('UNAUTHENTICATED')
    expect(res.headers.connection).toBe('close')
    expect(res.serverRead).toBeLessThan(1 * MB)
    expect(res.clientWrote).toBeLessThan(32 * MB)
  })

  it('a huge chunked upload with a token: 413 once past 16 KiB, the rest never read', async () => {
    const res = await rawRequest(
      `POST /otp/challenge HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${token('alice')}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
      64 * MB,
    )
    expect(res.status).toBe(413)
    expect(JSON.parse(res.body).error).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'body' } })
    expect(res.headers.connection).toBe('close')
    expect(res.serverRead).toBeLessThan(1 * MB)
  })

  it('a Content-Length above 16 KiB is refused at once, before the body is sent or read', async () => {
    for (const auth of ['', `Authorization: ${token('alice')}\r\n`]) {
      const started = Date.now()
      // Headers only: the 400 MB never come. A server waiting for them would time out here.
      const res = await rawRequest(`POST /otp/challenge HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: application/json\r\nContent-Length: 400000000\r\n\r\n`)
      expect(res.status).toBe(413)
      expect(JSON.parse(res.body).error).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'body' } })
      expect(Date.now() - started).toBeLessThan(2000)
    }
  })

  it('a GET with a huge body is answered without reading the body', async () => {
    const res = await rawRequest(`GET /wallet HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${token('alice')}\r\nTransfer-Encoding: chunked\r\n\r\n`, 64 * MB)
    expect(res.status).toBe(200)
    expect(res.headers.connection).toBe('close')
    expect(res.serverRead).toBeLessThan(1 * MB)
  })

  it('a small body read in full keeps the connection open for the next request', async () => {
    const body = JSON.stringify({ challengeId: 'f'.repeat(32), code: '123456' })
    const res = await rawRequest(
      `POST /otp/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${token('alice')}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      0,
      300,
    )
    expect(res.status).toBe(404) // the handler read and parsed it: no such challenge
    expect(res.headers.connection).not.toBe('close')
  })

  it('a failing handler is a 500 JSON error with the usual headers, reported through onError', async () => {
    const reported: unknown[] = []
    const server = http.createServer(
      toNodeHandler(
        async () => {
          throw new Error('boom')
        },
        { onError: (e, context) => reported.push([e, context]) },
      ),
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/wallet?x=1`)
      expect(res.status).toBe(500)
      expect(res.headers.get('content-type')).toContain('application/json')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(await res.json()).toEqual({ error: { code: 'INTERNAL', message: 'Internal error' } })
      expect(reported).toEqual([[expect.objectContaining({ message: 'boom' }), { method: 'GET', path: '/wallet' }]])
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  it('unknown paths are 404 JSON, whatever the request target looks like', async () => {
    for (const target of ['/nope', '//evil.example/wallet', '/wallet?x=1#y']) {
      const res = await fetch(`${base}${target}`, { headers: { Authorization: token('alice') } })
      if (target.startsWith('/wallet?')) {
        expect(res.status).toBe(200)
      } else {
        expect(res.status).toBe(404)
        expect((await res.json()).error.code).toBe('NOT_FOUND')
      }
    }
  })
})
