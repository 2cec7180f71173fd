/** `server.nodeHandler` behind a real node:http server. */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../../src/server/stores/memory-store.js'
import { makeHarness, targetKey, token, VAULT_ORIGIN, type Harness } from './helpers.js'

let h: Harness
let httpServer: http.Server
let base: string

beforeAll(async () => {
  h = makeHarness(createMemoryStore())
  httpServer = http.createServer(h.server.nodeHandler)
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`
})

afterAll(async () => {
  h.server.close()
  await new Promise<void>((resolve) => httpServer.close(() => resolve()))
})

describe('nodeHandler', () => {
  it('serves GET /wallet and POST /otp/challenge with CORS headers', async () => {
    const wallet = await fetch(`${base}/wallet`, { headers: { Authorization: token('alice'), Origin: VAULT_ORIGIN } })
    expect(wallet.status).toBe(200)
    expect(wallet.headers.get('access-control-allow-origin')).toBe(VAULT_ORIGIN)
    expect(wallet.headers.get('content-type')).toContain('application/json')
    expect((await wallet.json()).address).toMatch(/^0x[0-9a-fA-F]{40}$/)

    const target = await targetKey()
    const challenge = await fetch(`${base}/otp/challenge`, {
      method: 'POST',
      headers: { Authorization: token('alice'), Origin: VAULT_ORIGIN, 'Content-Type': 'application/json' },
      body: JSON.stringify({ targetPublicKey: target.hex }),
    })
    expect(challenge.status).toBe(200)
    expect((await challenge.json()).codeLength).toBe(6)
  })

  it('answers preflights and refuses other origins', async () => {
    const pre = await fetch(`${base}/otp/verify`, { method: 'OPTIONS', headers: { Origin: VAULT_ORIGIN, 'Access-Control-Request-Method': 'POST' } })
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type')
    const evil = await fetch(`${base}/wallet`, { headers: { Authorization: token('alice'), Origin: 'https://evil.example' } })
    expect(evil.status).toBe(403)
  })

  it('refuses an oversized body with 400 without buffering it', async () => {
    const res = await fetch(`${base}/otp/challenge`, {
      method: 'POST',
      headers: { Authorization: token('alice'), 'Content-Type': 'application/json' },
      body: JSON.stringify({ targetPublicKey: 'x'.repeat(200_000) }),
    })
    expect(res.status).toBe(400)
    expect((await res.json()).error).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'body' } })
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
