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
  last(): CodeMessage
}

export function capturingMailer(): CapturingMailer {
  const mailer: CapturingMailer = {
    sent: [],
    fail: false,
    async sendCode(message) {
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
