/**
 * Wallet keys: secp256k1 private keys, their Ethereum addresses, and their wrapping at rest.
 *
 *   address = EIP-55( last 20 bytes of keccak256(uncompressed public key without the 0x04 prefix) )
 *   wrapped = 0x01 ‖ iv (12 bytes) ‖ AES-256-GCM(wrapKey, iv, aad = UTF-8(walletId), privateKey) (32 + 16 bytes)
 *
 * The AAD binds each wrapped key to its wallet row: a key copied into another row does not open.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, concatBytes, utf8 } from '../crypto/bytes.js'
import { OtpWalletError } from '../protocol/errors.js'

export const WALLET_KEY_LENGTH = 32
const WRAP_VERSION = 0x01
const IV_LENGTH = 12
export const WRAPPED_KEY_LENGTH = 1 + IV_LENGTH + WALLET_KEY_LENGTH + 16

/** A fresh secp256k1 private key from the CSPRNG (uniform in [1, n−1]). */
export function generateWalletPrivateKey(): Uint8Array {
  return secp256k1.utils.randomSecretKey()
}

/** EIP-55 mixed-case checksum of a 20-byte address given as 40 hex characters (any case). */
export function toChecksumAddress(address: string): string {
  const hex = address.replace(/^0x/i, '').toLowerCase()
  if (!/^[0-9a-f]{40}$/.test(hex)) throw new OtpWalletError('INVALID_REQUEST', 'address: expected 20 bytes of hex', { details: { field: 'address' } })
  const hash = keccak_256(utf8(hex))
  let out = '0x'
  for (let i = 0; i < 40; i++) {
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0x0f
    out += nibble >= 8 ? hex[i]!.toUpperCase() : hex[i]!
  }
  return out
}

/** The EIP-55 address of a secp256k1 private key. */
export function addressFromPrivateKey(privateKey: Uint8Array): string {
  const publicKey = secp256k1.getPublicKey(privateKey, false) // 0x04 ‖ x ‖ y
  const hash = keccak_256(publicKey.subarray(1))
  return toChecksumAddress(bytesToHex(hash.subarray(12)))
}

/** Encrypts a private key for storage under `wrapKey`, bound to `walletId`. */
export async function wrapWalletKey(wrapKey: CryptoKey, walletId: string, privateKey: Uint8Array): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_LENGTH))
  const plaintext = new Uint8Array(privateKey)
  try {
    const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new Uint8Array(utf8(walletId)) }, wrapKey, plaintext)
    return concatBytes(new Uint8Array([WRAP_VERSION]), iv, new Uint8Array(sealed))
  } finally {
    plaintext.fill(0)
  }
}

/**
 * Decrypts a stored key. The caller owns the returned bytes and must zero them after use.
 * Throws INTERNAL when the bytes do not open under this master key and wallet id.
 */
export async function unwrapWalletKey(wrapKey: CryptoKey, walletId: string, wrapped: Uint8Array): Promise<Uint8Array> {
  if (wrapped.length !== WRAPPED_KEY_LENGTH || wrapped[0] !== WRAP_VERSION) {
    throw new OtpWalletError('INTERNAL', 'Stored wallet key has an unknown format')
  }
  try {
    const opened = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: new Uint8Array(wrapped.subarray(1, 1 + IV_LENGTH)), additionalData: new Uint8Array(utf8(walletId)) },
      wrapKey,
      new Uint8Array(wrapped.subarray(1 + IV_LENGTH)),
    )
    return new Uint8Array(opened)
  } catch (cause) {
    throw new OtpWalletError('INTERNAL', 'Stored wallet key does not open under this master key', { cause })
  }
}
