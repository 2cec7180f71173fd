/** Byte helpers shared by the SDK, the vault and the backend. */
import { OtpWalletError } from '../protocol/errors.js'

const HEX_RE = /^0x(?:[0-9a-fA-F]{2})*$/

export function bytesToHex(bytes: Uint8Array): string {
  let out = '0x'
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}

/** Parses 0x-prefixed hex of even length; `field` names the input in the error. */
export function hexToBytes(hex: string, field: string): Uint8Array {
  if (typeof hex !== 'string' || !HEX_RE.test(hex)) {
    throw new OtpWalletError('INVALID_REQUEST', `${field}: expected 0x-prefixed hex (digits 0-9 and a-f, an even number of them)`, { details: { field } })
  }
  const out = new Uint8Array((hex.length - 2) / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 + i * 2, 4 + i * 2), 16)
  return out
}

/** Throws INVALID_REQUEST naming `field` unless `bytes` has exactly `length` bytes. */
export function assertBytes(bytes: Uint8Array, length: number, field: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    const got = bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof bytes
    throw new OtpWalletError('INVALID_REQUEST', `${field}: expected ${length} bytes, got ${got}`, { details: { field } })
  }
}

/** Constant-time comparison for secrets (codes, MACs): the loop never exits early. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}
