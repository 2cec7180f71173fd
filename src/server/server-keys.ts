/**
 * The master key and the subkeys derived from it (HKDF-SHA256, RFC 5869, in WebCrypto).
 *
 *   macKey  = HKDF(masterKey, salt = "otp-wallet", info = "otp-wallet/v1/otp-mac")       HMAC-SHA256
 *   wrapKey = HKDF(masterKey, salt = "otp-wallet", info = "otp-wallet/v1/wallet-key-wrap") AES-256-GCM
 *
 * Both subkeys are non-extractable CryptoKeys. NEVER change these labels: every stored wallet
 * key is wrapped under `wrapKey`; another label means every wallet becomes unreadable.
 */
import { OtpWalletError } from '../protocol/errors.js'
import { utf8 } from '../crypto/bytes.js'

export const MASTER_KEY_LENGTH = 32
const HKDF_SALT = 'otp-wallet'
const MAC_KEY_INFO = 'otp-wallet/v1/otp-mac'
const WRAP_KEY_INFO = 'otp-wallet/v1/wallet-key-wrap'

export interface ServerKeys {
  /** HMAC-SHA256 key for code MACs (sign only). */
  macKey: CryptoKey
  /** AES-256-GCM key wrapping wallet private keys. */
  wrapKey: CryptoKey
}

function invalidMasterKey(message: string): OtpWalletError {
  return new OtpWalletError('INVALID_CONFIG', `masterKey: ${message}`, { details: { field: 'masterKey' } })
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '='))
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

/**
 * Accepts 32 bytes, or a string of them as hex (64 hex digits, `0x` optional — what
 * `openssl rand -hex 32` prints) or base64/base64url (43 characters, or 44 with one `=` —
 * `openssl rand -base64 32`); returns a private copy. Surrounding whitespace is ignored.
 *
 * Unambiguous: a string of exactly 64 hex digits is ALWAYS hex. (It is also valid base64, of 48
 * bytes — never a valid key length, so nothing meant as base64 is lost.) A base64 key is 43–44
 * characters, so it can never be mistaken for hex.
 *
 * Throws INVALID_CONFIG (field `masterKey`) for anything else, including an all-zero key.
 */
export function parseMasterKey(input: unknown): Uint8Array<ArrayBuffer> {
  let bytes: Uint8Array<ArrayBuffer>
  if (input instanceof Uint8Array) {
    bytes = new Uint8Array(input) // a copy: the caller may wipe or reuse theirs
  } else if (typeof input === 'string') {
    const text = input.trim()
    const hex = /^(?:0[xX])?([0-9a-fA-F]{64})$/.exec(text)?.[1]
    if (hex !== undefined) {
      bytes = new Uint8Array(MASTER_KEY_LENGTH)
      for (let i = 0; i < MASTER_KEY_LENGTH; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
    } else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
      bytes = decodeBase64(text)
    } else {
      throw invalidMasterKey(
        'expected 32 bytes as hex (64 hex digits, 0x optional: openssl rand -hex 32) ' +
          `or base64 (44 characters: openssl rand -base64 32), got a ${text.length}-character string`,
      )
    }
  } else {
    throw invalidMasterKey('expected a Uint8Array of 32 bytes or a hex/base64 string')
  }
  if (bytes.length !== MASTER_KEY_LENGTH) {
    bytes.fill(0)
    throw invalidMasterKey(`expected 32 bytes, got ${bytes.length}`)
  }
  if (bytes.every((b) => b === 0)) throw invalidMasterKey('is all zeros; generate one with a CSPRNG (e.g. openssl rand -hex 32)')
  return bytes
}

/** Derives the subkeys and zeroes `masterKey` when done. */
export async function deriveServerKeys(masterKey: Uint8Array<ArrayBuffer>): Promise<ServerKeys> {
  try {
    const ikm = await crypto.subtle.importKey('raw', masterKey, 'HKDF', false, ['deriveKey'])
    const hkdf = (info: string) => ({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(utf8(HKDF_SALT)), info: new Uint8Array(utf8(info)) })
    const macKey = await crypto.subtle.deriveKey(hkdf(MAC_KEY_INFO), ikm, { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign'])
    const wrapKey = await crypto.subtle.deriveKey(hkdf(WRAP_KEY_INFO), ikm, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
    return { macKey, wrapKey }
  } finally {
    masterKey.fill(0)
  }
}
