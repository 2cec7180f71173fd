/** Shared fixtures for the server tests: a capturing mailer, a toy authenticate, a clock, requests. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { bytesToHex } from '../../../src/crypto/bytes.js'
import type { CodeMessage, Mailer } from '../../../src/server/mailers/mailer.js'
import { createOtpWalletServer, type OtpWalletServer } from '../../../src/server/handler.js'
import type { OtpWalletServerConfig } from '../../../src/server/config.js'
import { createMemoryStore } from '../../../src/server/stores/memory-store.js'
import { createSqliteStore } from '../../../src/server/stores/sqlite-store.js'
import type { OtpWalletStore } from '../../../src/server/stores/store.js'

export const VAULT_ORIGIN = 'https://vault.example'
export const API = 'https://api.dapp.example'
export const MASTER_KEY = `0x${'7c'.repeat(16)}${'a5'.repeat(16)}`

export interface CapturingMailer extends Mailer {
  sent: CodeMessage[]
  fail: boolean
  /** When set, the next send waits for this promise first (a slow SMTP server); cleared once taken. */
  hold: Promise<void> | null
  last(): CodeMessage
}

export function capturingMailer(): CapturingMailer {
  const mailer: CapturingMailer = {
    sent: [],
    fail: false,
    hold: null,
    async sendCode(message) {
      const hold = mailer.hold
      mailer.hold = null
      if (hold !== null) await hold
      if (mailer.fail) throw new Error('SMTP is down')
      mailer.sent.push(message)
    },
    last() {
      const m = mailer.sent.at(-1)
      if (m === undefined) throw new Error('no mail sent')
      return m
    },
  }
  return mailer
}

/** `Authorization: Bearer <userId>|<email>` — a toy token format for tests. */
export async function testAuthenticate(request: Request): Promise<{ userId: string; email: string } | null> {
  const match = /^Bearer ([^|]+)\|(.+)$/.exec(request.headers.get('authorization') ?? '')
  return match ? { userId: match[1]!, email: match[2]! } : null
}

export function token(userId: string, email = `${userId}@example.com`): string {
  return `Bearer ${userId}|${email}`
}

export class Clock {
  constructor(public t = Date.UTC(2025, 0, 15, 12, 0, 0)) {}
  now = (): number => this.t
  advance(seconds: number): void {
    this.t += seconds * 1000
  }
}

export interface StoreFactory {
  name: string
  create(): { store: OtpWalletStore; cleanup(): void }
}

export const STORE_FACTORIES: StoreFactory[] = [
  { name: 'memory store', create: () => ({ store: createMemoryStore(), cleanup: () => undefined }) },
  {
    name: 'sqlite store',
    create: () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'otp-wallet-test-'))
      const store = createSqliteStore(path.join(dir, 'wallet.sqlite'))
      return { store, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
    },
  },
]

export interface Harness {
  server: OtpWalletServer
  mailer: CapturingMailer
  clock: Clock
  store: OtpWalletStore
  errors: unknown[]
  /** Every response body the harness saw, for the "no stack traces" check. */
  bodies: string[]
  get(route: string, auth?: string | null, headers?: Record<string, string>): Promise<Response>
  post(route: string, body: unknown, auth?: string | null, headers?: Record<string, string>): Promise<Response>
}

export function makeHarness(store: OtpWalletStore, overrides: Partial<OtpWalletServerConfig> = {}): Harness {
  const mailer = capturingMailer()
  const clock = new Clock()
  const errors: unknown[] = []
  const server = createOtpWalletServer({
    authenticate: testAuthenticate,
    store,
    mailer,
    masterKey: MASTER_KEY,
    vaultOrigin: VAULT_ORIGIN,
    siteName: 'Example dApp',
    now: clock.now,
    onError: (e) => errors.push(e),
    ...overrides,
  })
  const base = `${API}${overrides.basePath ?? ''}`
  const bodies: string[] = []
  const call = async (request: Request): Promise<Response> => {
    const response = await server.handler(request)
    bodies.push(await response.clone().text())
    return response
  }
  return {
    server,
    mailer,
    clock,
    store,
    errors,
    bodies,
    get: (route, auth = token('alice'), headers = {}) =>
      call(new Request(base + route, { headers: { Origin: VAULT_ORIGIN, ...(auth === null ? {} : { Authorization: auth }), ...headers } })),
    post: (route, body, auth = token('alice'), headers = {}) =>
      call(
        new Request(base + route, {
          method: 'POST',
          headers: {
            Origin: VAULT_ORIGIN,
            'Content-Type': 'application/json',
            ...(auth === null ? {} : { Authorization: auth }),
            ...headers,
          },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        }),
      ),
  }
}

/** A vault-like target key: ECDH P-256, private half NON-extractable. */
export async function targetKey(): Promise<{ pair: CryptoKeyPair; pub: Uint8Array; hex: string }> {
  const pair = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])
  const pub = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))
  return { pair, pub, hex: bytesToHex(pub) }
}

export async function json(response: Response): Promise<any> {
  return response.json()
}

export interface BrowserRequest {
  method?: string
  headers?: Record<string, string>
  body?: string
}

const CORS_SAFELISTED_METHODS = ['GET', 'HEAD', 'POST']

function corsSafelisted(name: string, value: string): boolean {
  if (['accept', 'accept-language', 'content-language'].includes(name)) return true
  return name === 'content-type' && /^(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)\s*(;|$)/i.test(value)
}

/**
 * What a page's `fetch()` from `origin` gets to see of a cross-origin call to `handler`, per the
 * Fetch standard's CORS protocol (credentials not included): a non-simple request (an
 * Authorization header, a JSON Content-Type…) is first preflighted, and the preflight must be
 * 2xx, allow the origin and every non-safelisted header; the response must allow the origin.
 * Otherwise the page gets only a TypeError ("Failed to fetch") — status and body hidden.
 */
export async function browserFetch(
  handler: (request: Request) => Promise<Response>,
  origin: string,
  url: string,
  init: BrowserRequest = {},
): Promise<Response> {
  const method = init.method ?? 'GET'
  const headers = init.headers ?? {}
  const unsafe = Object.entries(headers)
    .filter(([name, value]) => !corsSafelisted(name.toLowerCase(), value))
    .map(([name]) => name.toLowerCase())
    .sort()
  const allowsOrigin = (res: Response) => res.headers.get('access-control-allow-origin') === origin
  const networkError = (why: string) => new TypeError(`Failed to fetch (${why})`)
  if (!CORS_SAFELISTED_METHODS.includes(method) || unsafe.length > 0) {
    const preflight = await handler(
      new Request(url, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': method, ...(unsafe.length > 0 ? { 'Access-Control-Request-Headers': unsafe.join(',') } : {}) },
      }),
    )
    if (preflight.status < 200 || preflight.status > 299) throw networkError(`preflight answered ${preflight.status}`)
    if (!allowsOrigin(preflight)) throw networkError('preflight does not allow the origin')
    const list = (name: string) => (preflight.headers.get(name) ?? '').split(',').map((s) => s.trim().toLowerCase())
    if (!CORS_SAFELISTED_METHODS.includes(method) && !list('access-control-allow-methods').includes(method.toLowerCase())) {
      throw networkError(`preflight does not allow ${method}`)
    }
    const allowedHeaders = list('access-control-allow-headers')
    for (const name of unsafe) {
      // '*' never covers Authorization.
      if (!allowedHeaders.includes(name) && !(allowedHeaders.includes('*') && name !== 'authorization')) throw networkError(`preflight does not allow ${name}`)
    }
  }
  const response = await handler(new Request(url, { method, headers: { ...headers, Origin: origin }, ...(init.body === undefined ? {} : { body: init.body }) }))
  if (!allowsOrigin(response)) throw networkError('response does not allow the origin')
  return response
}
