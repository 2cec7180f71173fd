import { describe, expect, it, vi } from 'vitest'
import { createMemoryStorage } from '../storage/vault-storage.js'
import { loadOrCreateTargetKey, TARGET_KEY_STORAGE_KEY, targetKeyProvider } from './target-key.js'

describe('loadOrCreateTargetKey', () => {
  it('creates a non-extractable ECDH P-256 key, stores it, and exports the 65-byte public key', async () => {
    const storage = createMemoryStorage()
    const target = await loadOrCreateTargetKey(storage)
    expect(target.publicKey).toHaveLength(65)
    expect(target.publicKey[0]).toBe(0x04)
    expect(target.keyPair.privateKey.extractable).toBe(false)
    expect(target.keyPair.privateKey.usages).toEqual(['deriveBits'])
    expect(target.keyPair.privateKey.algorithm).toMatchObject({ name: 'ECDH', namedCurve: 'P-256' })
    await expect(crypto.subtle.exportKey('pkcs8', target.keyPair.privateKey)).rejects.toThrow()
    expect(await storage.get(TARGET_KEY_STORAGE_KEY)).toMatchObject({ v: 1, privateKey: target.keyPair.privateKey })
  })

  it('loads the stored key on the next start', async () => {
    const storage = createMemoryStorage()
    const first = await loadOrCreateTargetKey(storage)
    const second = await loadOrCreateTargetKey(storage)
    expect(second.keyPair.privateKey).toBe(first.keyPair.privateKey)
    expect(second.publicKey).toEqual(first.publicKey)
  })

  it('replaces a stored record it did not create (wrong shape, extractable key)', async () => {
    const storage = createMemoryStorage()
    const extractable = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])
    await storage.set(TARGET_KEY_STORAGE_KEY, { v: 1, ...extractable })
    const target = await loadOrCreateTargetKey(storage)
    expect(target.keyPair.privateKey).not.toBe(extractable.privateKey)
    expect(target.keyPair.privateKey.extractable).toBe(false)
  })
})

describe('targetKeyProvider', () => {
  it('gives concurrent callers one key', async () => {
    const storage = createMemoryStorage()
    const set = vi.spyOn(storage, 'set')
    const provide = targetKeyProvider(storage)
    const [a, b] = await Promise.all([provide(), provide()])
    expect(a).toBe(b)
    expect(set).toHaveBeenCalledTimes(1)
  })

  it('does not memoize a failure', async () => {
    const storage = createMemoryStorage()
    const get = vi.spyOn(storage, 'get').mockRejectedValueOnce(new Error('boom'))
    const provide = targetKeyProvider(storage)
    await expect(provide()).rejects.toThrow('boom')
    await expect(provide()).resolves.toHaveProperty('publicKey')
    expect(get).toHaveBeenCalledTimes(2)
  })
})
