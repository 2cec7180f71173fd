/**
 * The vault's target key: the ECDH P-256 key pair every grant is sealed to (HPKE, RFC 9180).
 *
 * The private half is generated non-extractable with usage ['deriveBits'] only, so not even
 * vault code can export it; it lives in the vault's IndexedDB (or in memory for the tab when
 * storage fell back). Its raw public key (65-byte uncompressed point) goes into every
 * OTP challenge, which binds the emailed code to this browser's vault.
 */
import type { VaultStorage } from '../storage/vault-storage.js'

export interface TargetKey {
  keyPair: CryptoKeyPair
  /** Uncompressed P-256 point, 65 bytes. */
  publicKey: Uint8Array
}

export const TARGET_KEY_STORAGE_KEY = 'targetKey'
const ALGORITHM: EcKeyGenParams = { name: 'ECDH', namedCurve: 'P-256' }

interface StoredTargetKey {
  v: 1
  privateKey: CryptoKey
  publicKey: CryptoKey
}

/**
 * Loads the stored target key pair, or creates and stores a new one.
 *
 * @example
 * const target = await loadOrCreateTargetKey(storage)
 * await backend.requestChallenge(auth, { targetPublicKey: bytesToHex(target.publicKey) })
 */
export async function loadOrCreateTargetKey(storage: VaultStorage): Promise<TargetKey> {
  const stored = await storage.get(TARGET_KEY_STORAGE_KEY)
  if (isUsableStoredKey(stored)) {
    const keyPair = { privateKey: stored.privateKey, publicKey: stored.publicKey }
    return { keyPair, publicKey: await exportRaw(keyPair.publicKey) }
  }
  const keyPair = await crypto.subtle.generateKey(ALGORITHM, false, ['deriveBits'])
  const record: StoredTargetKey = { v: 1, privateKey: keyPair.privateKey, publicKey: keyPair.publicKey }
  await storage.set(TARGET_KEY_STORAGE_KEY, record)
  return { keyPair, publicKey: await exportRaw(keyPair.publicKey) }
}

/**
 * Memoizes loadOrCreateTargetKey for the vault's life, so concurrent callers share one key
 * (two tabs may still race on storage; each keeps and uses the key it holds in memory).
 * A failed load is not memoized.
 */
export function targetKeyProvider(storage: VaultStorage): () => Promise<TargetKey> {
  let pending: Promise<TargetKey> | null = null
  return () => {
    if (pending === null) {
      pending = loadOrCreateTargetKey(storage)
      pending.catch(() => {
        pending = null
      })
    }
    return pending
  }
}

async function exportRaw(publicKey: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey('raw', publicKey))
}

/** A stored record is used only if it is exactly what this module creates. */
function isUsableStoredKey(value: unknown): value is StoredTargetKey {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Partial<StoredTargetKey>
  return (
    v.v === 1 &&
    v.privateKey instanceof CryptoKey &&
    v.publicKey instanceof CryptoKey &&
    v.privateKey.type === 'private' &&
    v.publicKey.type === 'public' &&
    !v.privateKey.extractable &&
    isP256Ecdh(v.privateKey) &&
    isP256Ecdh(v.publicKey) &&
    v.privateKey.usages.length === 1 &&
    v.privateKey.usages[0] === 'deriveBits'
  )
}

function isP256Ecdh(key: CryptoKey): boolean {
  const alg = key.algorithm as EcKeyAlgorithm
  return alg.name === 'ECDH' && alg.namedCurve === 'P-256'
}
