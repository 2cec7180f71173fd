/**
 * A host for whole-vault tests: createVault with fakes, a MessageChannel like the SDK's, and
 * helpers that send requests and record everything the vault says (happy-dom tests only).
 */
import { expect, vi } from 'vitest'
import { openGrant } from '../../src/crypto/hpke.js'
import { isRpcResponse, isVaultEvent, type Method } from '../../src/protocol/messages.js'
import { EventRelay } from '../event-relay.js'
import type { SessionChannel } from '../session/session-channel.js'
import { createMemoryStorage, type VaultStorage } from '../storage/vault-storage.js'
import { createVault } from '../vault.js'
import { FakeApi } from './fake-api.js'
import { FakeClock } from './fakes.js'

export type Reply = { id: number; result?: any; error?: any }

const channels: MessageChannel[] = []

/** For afterEach: closes the ports of every vault set up so far and empties the document. */
export function closeVaults(): void {
  for (const c of channels.splice(0)) {
    c.port1.close()
    c.port2.close()
  }
  document.body.replaceChildren()
}

export interface VaultSetup {
  storage?: VaultStorage
  clock?: FakeClock
  api?: FakeApi
  allowHeadless?: boolean
  channel?: SessionChannel
}

export function setupVault(opts: VaultSetup = {}) {
  const api = opts.api ?? new FakeApi()
  const clock = opts.clock ?? new FakeClock()
  clock.wall = Date.now()
  const storage = opts.storage ?? createMemoryStorage()
  const events = new EventRelay()
  const vault = createVault({
    config: { apiUrl: 'https://api.example/api', allowedOrigins: ['https://dapp.example'], allowHeadless: opts.allowHeadless ?? true },
    storage,
    events,
    fetch: api.fetch,
    clock,
    document,
    openGrant,
    log: () => {},
    channel: opts.channel ?? null,
  })
  const channel = new MessageChannel()
  channels.push(channel)
  const inbox: unknown[] = []
  channel.port2.onmessage = (e: MessageEvent) => inbox.push(e.data)
  vault.attach(channel.port1)
  let nextId = 1
  const reply = (id: number) => inbox.find((m) => isRpcResponse(m) && m.id === id) as Reply | undefined
  const start = (method: Method | string, params: unknown = {}, auth: string | null = 'tok') => {
    const id = nextId++
    channel.port2.postMessage({ id, method, params, auth })
    return {
      id,
      done: () =>
        vi.waitFor(
          () => {
            const r = reply(id)
            expect(r).toBeDefined()
            return r!
          },
          { timeout: 3000, interval: 5 },
        ),
      settled: () => reply(id) !== undefined,
    }
  }
  const call = (method: Method | string, params: unknown = {}, auth: string | null = 'tok') => start(method, params, auth).done()
  const eventsNamed = (name: string) => inbox.filter((m) => isVaultEvent(m) && m.event === name) as Array<{ data: any }>
  const waitEvent = (name: string, count = 1) =>
    vi.waitFor(() => expect(eventsNamed(name).length).toBeGreaterThanOrEqual(count), { timeout: 3000, interval: 5 })
  return { api, clock, storage, vault, inbox, call, start, eventsNamed, waitEvent }
}

export const message = { message: { kind: 'text', text: 'hello vault' } }

export const init = (ui: 'vault' | 'headless', sessionTtlSeconds: number | null = null) => ({ chainId: 1, ui, sessionTtlSeconds })

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T

/** Types a code into the vault's own prompt and submits it. */
export function typeCode(code: string): void {
  $<HTMLInputElement>('otp-code').value = code
  $<HTMLButtonElement>('otp-submit').click()
}
