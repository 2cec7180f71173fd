/**
 * The session blob: the wallet key encrypted under a fresh, non-extractable AES-GCM-256
 * session key (random 12-byte IV, AAD = the address, so a blob cannot be swapped between
 * accounts). Plaintext key bytes exist only for the moment of one signature and are zeroed.
 */
import { utf8 } from '../../src/crypto/bytes.js'

export interface WalletKeyBox {
  key: CryptoKey
  iv: Uint8Array
  blob: Uint8Array
}

/**
 * Encrypts `walletKey` under a new session key and ZEROES `walletKey`, also when it fails.
 *
 * @example
 * const box = await sealWalletKey(grant.privateKey, grant.address) // grant.privateKey is now all zeros
 */
export async function sealWalletKey(walletKey: Uint8Array, address: string): Promise<WalletKeyBox> {
  const input = own(walletKey)
  try {
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
    const iv = crypto.getRandomValues(new Uint8Array(12))
    // WebCrypto copies its input when encrypt() is called, so zeroing after the await is safe.
    const blob = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: own(utf8(address)) }, key, input)
    return { key, iv, blob: new Uint8Array(blob) }
  } finally {
    input.fill(0)
    walletKey.fill(0)
  }
}

/**
 * Decrypts the wallet key, runs `use` with it, and zeroes it whatever `use` does.
 * `use` must not keep a reference to the bytes.
 */
export async function withWalletKey<T>(box: WalletKeyBox, address: string, use: (walletKey: Uint8Array) => T): Promise<T> {
  const walletKey = new Uint8Array(
    await crypto.subtle.decrypt({ name: 'AES-GCM', iv: own(box.iv), additionalData: own(utf8(address)) }, box.key, own(box.blob)),
  )
  try {
    return use(walletKey)
  } finally {
    walletKey.fill(0)
  }
}

/** WebCrypto's types want ArrayBuffer-backed views; copy the rare SharedArrayBuffer-backed one. */
function own(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes)
}
