import { describe, expect, it, vi } from 'vitest'
import { createMemoryStorage, openVaultStorage, probeStorage, withMemoryFallback, type VaultStorage } from './vault-storage.js'

/** A storage that refuses CryptoKeys the way Lockdown Mode / Firefox private browsing do. */
function refusingStorage(name: string): VaultStorage {
  return {
    kind: 'indexeddb',
    get: async () => undefined,
    set: async () => {
      throw new DOMException('refused', name)
    },
    del: async () => {},
  }
}

describe('probeStorage', () => {
  it('passes for a storage that keeps CryptoKeys', async () => {
    await expect(probeStorage(createMemoryStorage())).resolves.toBeUndefined()
  })

  it('fails for a storage that refuses CryptoKeys or loses them', async () => {
    await expect(probeStorage(refusingStorage('DataCloneError'))).rejects.toThrow()
    const lossy: VaultStorage = { ...createMemoryStorage(), get: async () => ({}) }
    await expect(probeStorage(lossy)).rejects.toThrow('CryptoKey did not survive storage')
  })

  it('gives up on a storage that never answers', async () => {
    const hanging: VaultStorage = { ...createMemoryStorage(), set: () => new Promise(() => {}) }
    await expect(probeStorage(hanging, 10)).rejects.toMatchObject({ name: 'TimeoutError' })
  })
})

describe('openVaultStorage', () => {
  it('falls back to memory when indexedDB does not exist (Node)', async () => {
    const { storage, fallbackReason } = await openVaultStorage(() => {})
    expect(storage.kind).toBe('memory')
    expect(fallbackReason).toBe('IndexedDBUnavailable: no indexedDB')
  })

  it.each(['DataCloneError', 'SecurityError', 'InvalidStateError'])('falls back to memory on %s', async (name) => {
    vi.stubGlobal('indexedDB', {})
    try {
      const { storage, fallbackReason } = await openVaultStorage(() => {}, () => refusingStorage(name))
      expect(storage.kind).toBe('memory')
      expect(fallbackReason).toBe(`${name}: refused`)
    } finally {
      vi.unstubAllGlobals()
    }
  })

  it('keeps a working IndexedDB, and reports a later failure once', async () => {
    vi.stubGlobal('indexedDB', {})
    try {
      const inner = createMemoryStorage()
      let failing = false
      const flaky: VaultStorage = {
        kind: 'indexeddb',
        get: (k) => inner.get(k),
        set: async (k, v) => {
          if (failing) throw new DOMException('quota', 'QuotaExceededError')
          return inner.set(k, v)
        },
        del: (k) => inner.del(k),
      }
      const onLater = vi.fn()
      const { storage, fallbackReason } = await openVaultStorage(onLater, () => flaky)
      expect(fallbackReason).toBeNull()
      expect(storage.kind).toBe('indexeddb')
      failing = true
      await storage.set('a', 1)
      await storage.set('b', 2)
      expect(storage.kind).toBe('memory')
      expect(await storage.get('b')).toBe(2)
      expect(onLater).toHaveBeenCalledTimes(1)
      expect(onLater).toHaveBeenCalledWith('QuotaExceededError: quota')
    } finally {
      vi.unstubAllGlobals()
    }
  })
})

describe('withMemoryFallback', () => {
  it('retries the failed operation in memory', async () => {
    const onFallback = vi.fn()
    const storage = withMemoryFallback(refusingStorage('DataCloneError'), onFallback)
    await storage.set('k', 'v')
    expect(await storage.get('k')).toBe('v')
    expect(onFallback).toHaveBeenCalledWith('DataCloneError: refused')
  })
})
