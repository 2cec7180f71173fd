// @vitest-environment happy-dom
// @vitest-environment-options { "url": "https://dapp.example/app" }
import { describe, expect, test } from 'vitest'
import { resolveOptions } from '../../../src/client/options.js'
import { toSignableMessage } from '../../../src/client/signable-message.js'
import { OtpWalletError } from '../../../src/protocol/errors.js'

const base = { vaultUrl: 'https://vault.example/', getAuthToken: () => 'token' }

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(OtpWalletError)
    expect((error as OtpWalletError).code).toBe('INVALID_CONFIG')
    return (error as OtpWalletError).details?.field as string
  }
  throw new Error('expected INVALID_CONFIG')
}

describe('resolveOptions', () => {
  test('defaults', () => {
    const resolved = resolveOptions(base)
    expect(resolved.vaultUrl.origin).toBe('https://vault.example')
    expect(resolved).toMatchObject({ chainId: null, ui: 'vault', sessionTtlSeconds: null, timeoutMs: 30_000 })
  })
  test('plain http only on loopback', () => {
    expect(resolveOptions({ ...base, vaultUrl: 'http://127.0.0.1:5174/' }).vaultUrl.port).toBe('5174')
    expect(resolveOptions({ ...base, vaultUrl: 'http://localhost:5174/' }).vaultUrl.hostname).toBe('localhost')
    expect(resolveOptions({ ...base, vaultUrl: 'http://[::1]:5174/' }).vaultUrl.hostname).toBe('[::1]')
    expect(fieldOf(() => resolveOptions({ ...base, vaultUrl: 'http://vault.example/' }))).toBe('vaultUrl')
    expect(fieldOf(() => resolveOptions({ ...base, vaultUrl: 'javascript:alert(1)' }))).toBe('vaultUrl')
    expect(fieldOf(() => resolveOptions({ ...base, vaultUrl: '/vault' }))).toBe('vaultUrl')
    expect(fieldOf(() => resolveOptions({ ...base, vaultUrl: 'https://u:p@vault.example/' }))).toBe('vaultUrl')
  })
  test.each([
    ['getAuthToken', { getAuthToken: 'token' }],
    ['chainId', { chainId: 0 }],
    ['chainId', { chainId: 1.5 }],
    ['chainId', { chainId: '1' }],
    ['ui', { ui: 'modal' }],
    ['session.ttlSeconds', { session: { ttlSeconds: -1 } }],
    ['session.ttlSeconds', { session: { ttlSeconds: '60' } }],
    ['timeoutMs', { timeoutMs: 0 }],
    ['timeoutMs', { timeoutMs: 2 ** 31 }],
    ['session.ttlSeconds', { session: { ttlSeconds: 1e10 } }],
    ['container', { container: '#app' }],
    ['container', { container: {} }],
    ['ttlSeconds', { ttlSeconds: 60 }],
    ['session', { session: null }],
    ['vaultUrl', { vaultUrl: ['https://vault.example/'] }],
    ['vaultUrl', { vaultUrl: { toString: (): string => 'https://vault.example/' } }],
    ['chainId', { chainId: null }],
    ['ui', { ui: null }],
    ['timeoutMs', { timeoutMs: null }],
    ['container', { container: null }],
    ['session', { session: 3600 }],
    ['session.ttl', { session: { ttl: 60 } }],
    ['session.maxTtlSeconds', { session: { ttlSeconds: 60, maxTtlSeconds: 600 } }],
  ])('refuses a bad %s', (field, patch) => {
    expect(fieldOf(() => resolveOptions({ ...base, ...(patch as object) } as never))).toBe(field)
  })
  test('a container must be an element in the document', () => {
    expect(fieldOf(() => resolveOptions({ ...base, container: document.createElement('div') }))).toBe('container')
    const attached = document.body.appendChild(document.createElement('div'))
    expect(resolveOptions({ ...base, container: attached }).container).toBe(attached)
  })
  test("the vault cannot live on the page's own origin", () => {
    expect(location.origin).toBe('https://dapp.example')
    expect(fieldOf(() => resolveOptions({ ...base, vaultUrl: 'https://dapp.example/vault/' }))).toBe('vaultUrl')
  })
  test('a bigint chainId (as ethers v6 gives it) is taken; a huge or negative one is refused', () => {
    expect(resolveOptions({ ...base, chainId: 137n }).chainId).toBe(137)
    expect(() => resolveOptions({ ...base, chainId: 2n ** 60n })).toThrow('got 1152921504606846976n')
    expect(fieldOf(() => resolveOptions({ ...base, chainId: -1n }))).toBe('chainId')
  })
  test('an unknown key is named, cut to 64 characters', () => {
    expect(fieldOf(() => resolveOptions({ ...base, ['x'.repeat(500)]: 1 } as never))).toBe('x'.repeat(64))
  })
  test('messages show a wrong type as such: a string is quoted', () => {
    expect(() => resolveOptions({ ...base, session: { ttlSeconds: '5' } } as never)).toThrow('got "5"')
    expect(() => resolveOptions({ ...base, chainId: '1' } as never)).toThrow('got "1"')
    expect(() => resolveOptions({ ...base, ui: ['vault'] } as never)).toThrow('got an array')
  })
  test('an array or nothing is not an options object', () => {
    expect(fieldOf(() => resolveOptions([] as never))).toBe('options')
    expect(fieldOf(() => resolveOptions(null as never))).toBe('options')
  })
  test('ttlSeconds 0 is single use, not "unset"', () => {
    expect(resolveOptions({ ...base, session: { ttlSeconds: 0 } }).sessionTtlSeconds).toBe(0)
  })
})

describe('toSignableMessage', () => {
  test('a string is text, even when it looks like hex', () => {
    expect(toSignableMessage('0x1234')).toEqual({ kind: 'text', text: '0x1234' })
  })
  test('bytes and raw hex are bytes', () => {
    expect(toSignableMessage(new Uint8Array([1, 2]))).toEqual({ kind: 'bytes', bytes: new Uint8Array([1, 2]) })
    expect(toSignableMessage({ raw: '0x0102' })).toEqual({ kind: 'bytes', bytes: new Uint8Array([1, 2]) })
  })
  test('bad raw hex names message.raw', () => {
    expect(() => toSignableMessage({ raw: '0x123' })).toThrowError(expect.objectContaining({ code: 'INVALID_REQUEST', details: { field: 'message.raw' } }))
    expect(() => toSignableMessage(42 as never)).toThrowError(expect.objectContaining({ code: 'INVALID_REQUEST', details: { field: 'message' } }))
  })
})
