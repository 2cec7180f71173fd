// Done-when 5: no message from the vault to the host ever carries key material. Every message
// the host page receives during a full session is recorded and searched for the wallet key and
// the session key, in raw bytes, hex and base64.
//
// To know those secrets, the vault frame is instrumented in this test only: its session key is
// made extractable so it can be exported, and the wallet key is read where the vault encrypts
// it under the session key. The address it derives proves the capture is the real key.
import { computeAddress, verifyMessage } from 'ethers'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createWalletInPage, enterCodeInVault, openBrowser, openHostPage, startDemo, startInPage, vaultFrame, waitForCode, type Demo } from './harness.js'

let demo: Demo
let context: Awaited<ReturnType<typeof openBrowser>>

beforeAll(async () => {
  demo = await startDemo()
  context = await openBrowser()
  await context.addInitScript(instrument)
})

afterAll(async () => {
  await context?.dispose()
  await demo?.close()
})

/** Runs in every frame before its scripts. */
function instrument() {
  const w = window as any
  if (location.port && w.parent !== w) {
    // Vault frame: capture the session key and the wallet key.
    w.__secrets = { walletKeys: [] as string[], sessionKeys: [] as string[] }
    const subtle = crypto.subtle
    const hex = (buf: ArrayBuffer) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('')
    const generateKey = subtle.generateKey.bind(subtle)
    subtle.generateKey = (async (algorithm: any, _extractable: boolean, usages: any) => {
      const key = await generateKey(algorithm, true, usages)
      if (algorithm?.name === 'AES-GCM') w.__secrets.sessionKeys.push(hex(await subtle.exportKey('raw', key as unknown as CryptoKey)))
      return key
    }) as typeof subtle.generateKey
    const encrypt = subtle.encrypt.bind(subtle)
    subtle.encrypt = (async (algorithm: any, key: CryptoKey, data: BufferSource) => {
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array((data as ArrayBufferView).buffer, (data as ArrayBufferView).byteOffset, (data as ArrayBufferView).byteLength)
      if (bytes.length === 32) w.__secrets.walletKeys.push(hex(bytes.slice().buffer))
      return encrypt(algorithm, key, data)
    }) as typeof subtle.encrypt
  } else if (w.parent === w) {
    // Host page: record everything that arrives on any MessagePort or on the window.
    w.__received = [] as unknown[]
    window.addEventListener('message', (e) => w.__received.push(e.data), true)
    const descriptor = Object.getOwnPropertyDescriptor(MessagePort.prototype, 'onmessage')!
    Object.defineProperty(MessagePort.prototype, 'onmessage', {
      ...descriptor,
      set(handler: ((e: MessageEvent) => void) | null) {
        descriptor.set!.call(this, handler && ((e: MessageEvent) => { w.__received.push(e.data); handler.call(this, e) }))
      },
    })
  }
}

/** Every string form a secret could take in a message: hex (any case, with or without 0x), base64, base64url, and raw bytes. */
function leaks(received: unknown, secretHex: string): boolean {
  const bytes = Buffer.from(secretHex, 'hex')
  const needles = [secretHex.toLowerCase(), bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url')]
  const visit = (value: unknown): boolean => {
    if (typeof value === 'string') return needles.some((n) => value.toLowerCase().includes(n.toLowerCase()))
    if (value instanceof Uint8Array || (value && typeof value === 'object' && (value as any).type === 'Buffer')) {
      return Buffer.from(value as Uint8Array).toString('hex').includes(secretHex.toLowerCase())
    }
    if (Array.isArray(value)) return value.some(visit)
    if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => visit(k) || visit(v))
    return false
  }
  return visit(received)
}

test('a full session sends no wallet key or session key bytes to the host', async () => {
  const { page, email } = await openHostPage(context, demo)
  const address = await createWalletInPage(page, demo, { chainId: 1, session: { ttlSeconds: 600 } })

  const pending = startInPage<string>(page, "wallet.signMessage('scan me')")
  await enterCodeInVault(page, await waitForCode(demo, email, 1))
  const signed = await pending
  expect(signed.ok && verifyMessage('scan me', signed.value)).toBe(address)
  await startInPage(page, "wallet.signMessage(new Uint8Array([1, 2, 3]))")
  await startInPage(page, `wallet.signTransaction({ to: '0x000000000000000000000000000000000000dEaD', value: 1n, nonce: 0, gasLimit: 21000, maxFeePerGas: 2, maxPriorityFeePerGas: 1 })`)
  await startInPage(page, 'wallet.getSession()')
  await startInPage(page, 'wallet.endSession()')

  const secrets = await vaultFrame(page).evaluate(() => (window as any).__secrets as { walletKeys: string[]; sessionKeys: string[] })
  const walletKey = secrets.walletKeys.find((k) => computeAddress('0x' + k) === address)
  expect(walletKey, 'the wallet key was captured in the vault').toBeDefined()
  expect(secrets.sessionKeys.length).toBeGreaterThan(0)

  // Structured clone does not survive page.evaluate's JSON, so turn bytes into arrays there.
  const received = await page.evaluate(() => {
    const plain = (v: unknown): unknown =>
      v instanceof Uint8Array ? { type: 'Buffer', data: Array.from(v) } : v instanceof ArrayBuffer ? plain(new Uint8Array(v))
      : typeof v === 'bigint' ? v.toString() : Array.isArray(v) ? v.map(plain)
      : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v
    return plain((window as any).__received)
  })
  expect((received as unknown[]).length).toBeGreaterThan(5)
  expect(leaks(received, walletKey!)).toBe(false)
  for (const key of secrets.sessionKeys) expect(leaks(received, key)).toBe(false)
  // The search itself works: a message carrying the key would be caught.
  expect(leaks([{ result: { x: '0x' + walletKey!.toUpperCase() } }], walletKey!)).toBe(true)
  expect(leaks([{ type: 'Buffer', data: [...Buffer.from(walletKey!, 'hex')] }], walletKey!)).toBe(true)
})
