import { afterEach, describe, expect, test, vi } from 'vitest'
import { connectToVault } from '../../../src/client/handshake.js'
import { RpcClient } from '../../../src/client/rpc-client.js'
import { OtpWalletError } from '../../../src/protocol/errors.js'
import { PROTOCOL_VERSION, isConnectMessage, type ConnectMessage } from '../../../src/protocol/messages.js'

const VAULT_ORIGIN = 'https://vault.example'

/** A stand-in for the vault's window: `onConnect` decides what happens to each attempt. */
function fakeVaultWindow(onConnect: (message: ConnectMessage, port: MessagePort, attempt: number) => void) {
  const seen: Array<{ message: unknown; targetOrigin: string }> = []
  const frameWindow = {
    postMessage(message: unknown, targetOrigin: string, transfer: MessagePort[]) {
      seen.push({ message, targetOrigin })
      if (isConnectMessage(message)) onConnect(message, transfer[0]!, seen.length)
    },
  } as unknown as Window
  return { frameWindow, seen }
}

const openPorts: MessagePort[] = []
afterEach(() => {
  for (const port of openPorts.splice(0)) port.close()
})

describe('connectToVault', () => {
  test('retries until the vault answers, posting only to the vault origin with one channel id', async () => {
    const { frameWindow, seen } = fakeVaultWindow((_m, port, attempt) => {
      openPorts.push(port)
      if (attempt === 3) port.postMessage({ event: 'connected', data: { v: PROTOCOL_VERSION } })
    })
    const port = await connectToVault({ frameWindow, frameLoaded: Promise.resolve(), vaultOrigin: VAULT_ORIGIN, timeoutMs: 5_000, signal: new AbortController().signal })
    openPorts.push(port)
    expect(seen.length).toBeGreaterThanOrEqual(3)
    expect(new Set(seen.map((s) => s.targetOrigin))).toEqual(new Set([VAULT_ORIGIN]))
    expect(new Set(seen.map((s) => (s.message as ConnectMessage).channelId)).size).toBe(1)
  })

  test('posts nothing before the frame has loaded', async () => {
    let loaded!: () => void
    const frameLoaded = new Promise<void>((resolve) => (loaded = resolve))
    const { frameWindow, seen } = fakeVaultWindow((_m, port) => {
      openPorts.push(port)
      port.postMessage({ event: 'connected', data: { v: PROTOCOL_VERSION } })
    })
    const pending = connectToVault({ frameWindow, frameLoaded, vaultOrigin: VAULT_ORIGIN, timeoutMs: 5_000, signal: new AbortController().signal })
    await new Promise((r) => setTimeout(r, 250))
    expect(seen).toHaveLength(0)
    loaded()
    openPorts.push(await pending)
    expect(seen).toHaveLength(1)
  })

  test('a refusal ends the handshake with its code', async () => {
    const { frameWindow } = fakeVaultWindow((_m, port) => {
      openPorts.push(port)
      port.postMessage({ event: 'connect_refused', error: { code: 'ORIGIN_NOT_ALLOWED', message: 'not allowed' } })
    })
    await expect(connectToVault({ frameWindow, frameLoaded: Promise.resolve(), vaultOrigin: VAULT_ORIGIN, timeoutMs: 5_000, signal: new AbortController().signal })).rejects.toMatchObject({
      code: 'ORIGIN_NOT_ALLOWED',
    })
  })

  test('a vault speaking another version is PROTOCOL_VERSION_MISMATCH', async () => {
    const { frameWindow } = fakeVaultWindow((_m, port) => {
      openPorts.push(port)
      port.postMessage({ event: 'connected', data: { v: PROTOCOL_VERSION + 1 } })
    })
    await expect(connectToVault({ frameWindow, frameLoaded: Promise.resolve(), vaultOrigin: VAULT_ORIGIN, timeoutMs: 5_000, signal: new AbortController().signal })).rejects.toMatchObject({
      code: 'PROTOCOL_VERSION_MISMATCH',
    })
  })

  test('silence is VAULT_UNREACHABLE after timeoutMs', async () => {
    const { frameWindow } = fakeVaultWindow((_m, port) => openPorts.push(port))
    const started = Date.now()
    await expect(connectToVault({ frameWindow, frameLoaded: Promise.resolve(), vaultOrigin: VAULT_ORIGIN, timeoutMs: 300, signal: new AbortController().signal })).rejects.toMatchObject({
      code: 'VAULT_UNREACHABLE',
    })
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
  })

  test('aborting rejects with DESTROYED', async () => {
    const { frameWindow } = fakeVaultWindow((_m, port) => openPorts.push(port))
    const abort = new AbortController()
    const pending = connectToVault({ frameWindow, frameLoaded: Promise.resolve(), vaultOrigin: VAULT_ORIGIN, timeoutMs: 5_000, signal: abort.signal })
    abort.abort()
    await expect(pending).rejects.toMatchObject({ code: 'DESTROYED' })
  })
})

describe('RpcClient', () => {
  function pair() {
    const channel = new MessageChannel()
    openPorts.push(channel.port1, channel.port2)
    const events: unknown[] = []
    const client = new RpcClient(channel.port1, (e) => events.push(e))
    return { client, vault: channel.port2, events }
  }

  test('matches responses to requests by id and rebuilds errors', async () => {
    const { client, vault } = pair()
    vault.onmessage = (e) => {
      const { id, method } = e.data
      vault.postMessage(method === 'getSession' ? { id, result: { active: false, expiresAt: null } } : { id, error: { code: 'UNKNOWN_METHOD', message: 'no' } })
    }
    await expect(client.request('getSession', {}, null, 1_000)).resolves.toEqual({ active: false, expiresAt: null })
    const error = await client.request('endSession', {}, null, 1_000).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OtpWalletError)
    expect((error as OtpWalletError).code).toBe('UNKNOWN_METHOD')
  })

  test('times out a silent request, but not one the vault marks awaiting_user', async () => {
    vi.useFakeTimers()
    try {
      const { client, vault } = pair()
      let awaitingId = 0
      vault.onmessage = (e) => {
        if (e.data.method === 'signMessage') {
          awaitingId = e.data.id
          vault.postMessage({ id: e.data.id, status: 'awaiting_user' })
        }
      }
      const silent = client.request('getSession', {}, null, 1_000).catch((e: OtpWalletError) => e.code)
      const interactive = client.request('signMessage', { message: { kind: 'text', text: 'x' } }, null, 1_000)
      await vi.waitFor(() => expect(awaitingId).toBeGreaterThan(0))
      await vi.advanceTimersByTimeAsync(60_000)
      expect(await silent).toBe('TIMEOUT')
      vault.postMessage({ id: awaitingId, result: { signature: '0xsig' } })
      await vi.waitFor(() => expect(interactive).resolves.toEqual({ signature: '0xsig' }))
    } finally {
      vi.useRealTimers()
    }
  })

  test('a parameter that cannot be cloned is INVALID_REQUEST naming its path', async () => {
    const { client } = pair()
    const error = await client
      .request('signTransaction', { transaction: { to: '0x', value: (() => 1) as never } }, null, 1_000)
      .catch((e: OtpWalletError) => e)
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'transaction.value' } })
  })

  test('close() rejects requests in flight with DESTROYED, and later requests too', async () => {
    const { client } = pair()
    const pending = client.request('getSession', {}, null, 10_000)
    client.close()
    await expect(pending).rejects.toMatchObject({ code: 'DESTROYED' })
    await expect(client.request('getSession', {}, null, 10_000)).rejects.toMatchObject({ code: 'DESTROYED' })
  })

  test('passes events on and ignores junk', async () => {
    const { vault, events } = pair()
    vault.postMessage({ event: 'session_expired', data: {} })
    vault.postMessage({ event: 'not_an_event', data: {} })
    vault.postMessage('junk')
    await vi.waitFor(() => expect(events).toEqual([{ event: 'session_expired', data: {} }]))
  })
})
