/**
 * Where the vault keeps its CryptoKeys between page loads: one idb-keyval store in the vault
 * origin's IndexedDB (per browser storage partition, so per top-level site).
 *
 * IndexedDB can be missing or refuse CryptoKeys (private modes, Lockdown Mode's DataCloneError,
 * blocked third-party storage), so at start the vault PROBES it by actually storing a
 * non-extractable CryptoKey and reading it back. If that fails, or if a write fails later,
 * storage switches to memory for the rest of the tab's life and `onFallback(reason)` fires
 * once — the vault turns that into the `storage_fallback` event; it never fails silently.
 */
import { createStore, del, get, set, type UseStore } from 'idb-keyval'
import type { StorageKind } from '../../src/protocol/messages.js'

export interface VaultStorage {
  readonly kind: StorageKind
  get(key: string): Promise<unknown>
  set(key: string, value: unknown): Promise<void>
  del(key: string): Promise<void>
}

export const VAULT_DB_NAME = 'otp-wallet-vault'
export const VAULT_STORE_NAME = 'keys'
/** Some browsers leave `indexedDB.open` pending forever when storage is blocked. */
const PROBE_TIMEOUT_MS = 3_000
const PROBE_KEY = 'probe'

export function createMemoryStorage(): VaultStorage {
  const map = new Map<string, unknown>()
  return {
    kind: 'memory',
    get: async (key) => map.get(key),
    set: async (key, value) => void map.set(key, value),
    del: async (key) => void map.delete(key),
  }
}

export function createIdbStorage(store: UseStore): VaultStorage {
  return {
    kind: 'indexeddb',
    get: (key) => get(key, store),
    set: (key, value) => set(key, value, store),
    del: (key) => del(key, store),
  }
}

/** Stores a non-extractable CryptoKey and reads it back; throws when this storage cannot hold keys. */
export async function probeStorage(storage: VaultStorage, timeoutMs = PROBE_TIMEOUT_MS): Promise<void> {
  const probe = async (): Promise<void> => {
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt'])
    await storage.set(PROBE_KEY, key)
    const back = await storage.get(PROBE_KEY)
    await storage.del(PROBE_KEY)
    if (!(back instanceof CryptoKey)) throw new Error('CryptoKey did not survive storage')
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('IndexedDB did not answer'), { name: 'TimeoutError' })), timeoutMs)
  })
  try {
    await Promise.race([probe(), timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Wraps `primary` so that its first failure switches every later call to memory.
 * Reads after a switch see an empty store: callers keep their live state in memory anyway.
 */
export function withMemoryFallback(primary: VaultStorage, onFallback: (reason: string) => void): VaultStorage {
  let active = primary
  const fallBack = (error: unknown): void => {
    if (active !== primary) return
    active = createMemoryStorage()
    onFallback(fallbackReason(error))
  }
  const guard = async <T>(op: (s: VaultStorage) => Promise<T>): Promise<T> => {
    const target = active
    try {
      return await op(target)
    } catch (error) {
      if (target !== primary) throw error
      fallBack(error)
      return op(active)
    }
  }
  return {
    get kind() {
      return active.kind
    },
    get: (key) => guard((s) => s.get(key)),
    set: (key, value) => guard((s) => s.set(key, value)),
    del: (key) => guard((s) => s.del(key)),
  }
}

/**
 * Opens IndexedDB storage if it can hold CryptoKeys, memory otherwise.
 * Returns the storage and, when it is memory from the start, why.
 *
 * @example
 * const { storage, fallbackReason } = await openVaultStorage((reason) => events.storageFallback(reason))
 */
export async function openVaultStorage(
  onLaterFallback: (reason: string) => void,
  openIdb: () => VaultStorage = () => createIdbStorage(createStore(VAULT_DB_NAME, VAULT_STORE_NAME)),
): Promise<{ storage: VaultStorage; fallbackReason: string | null }> {
  let primary: VaultStorage
  try {
    if (typeof indexedDB === 'undefined') throw Object.assign(new Error('no indexedDB'), { name: 'IndexedDBUnavailable' })
    primary = openIdb()
    await probeStorage(primary)
  } catch (error) {
    return { storage: createMemoryStorage(), fallbackReason: fallbackReason(error) }
  }
  return { storage: withMemoryFallback(primary, onLaterFallback), fallbackReason: null }
}

/**
 * The `storage_fallback` reason: the browser's error name and message, e.g. "UnknownError: The
 * user denied permission to access the database." (Chromium with third-party storage blocked).
 * Both come from the browser's storage layer, never from vault data.
 */
export function fallbackReason(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { name, message } = error as { name?: unknown; message?: unknown }
    const text = [name, message].filter((part) => typeof part === 'string' && part !== '').join(': ')
    if (text !== '') return text.slice(0, 200)
  }
  return 'storage unavailable'
}
