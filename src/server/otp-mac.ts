/**
 * The backend never stores a code, only HMAC-SHA256(macKey, binding) where `binding` ties the
 * code to one challenge, one user, one target key, one expiry and one session length:
 *
 *   binding = "otp-wallet/otp-mac/v1" ‖ for each field: u32be(len) ‖ bytes
 *   fields  = challengeId, userId, targetPublicKey (65 bytes), expiresAt, sessionTtlSeconds, code
 *
 * `macKey` is derived from the master key (see server-keys.ts), which is not in the database: a
 * leaked database does not allow an offline search of the code space. Length prefixes make
 * the encoding injective, so no two different bindings produce the same bytes.
 */
import { concatBytes, equalBytes, utf8 } from '../crypto/bytes.js'

const MAC_LABEL = 'otp-wallet/otp-mac/v1'
export const OTP_MAC_LENGTH = 32

export interface OtpMacInput {
  challengeId: string
  userId: string
  targetPublicKey: Uint8Array
  expiresAt: number
  sessionTtlSeconds: number
  /** Normalized code (see otp-code.ts). */
  code: string
}

function field(bytes: Uint8Array): Uint8Array {
  const len = new Uint8Array(4)
  new DataView(len.buffer).setUint32(0, bytes.length)
  return concatBytes(len, bytes)
}

function binding(input: OtpMacInput): Uint8Array<ArrayBuffer> {
  const bytes = concatBytes(
    utf8(MAC_LABEL),
    field(utf8(input.challengeId)),
    field(utf8(input.userId)),
    field(input.targetPublicKey),
    field(utf8(String(input.expiresAt))),
    field(utf8(String(input.sessionTtlSeconds))),
    field(utf8(input.code)),
  )
  return new Uint8Array(bytes)
}

/** HMAC-SHA256 of the binding; 32 bytes. */
export async function computeOtpMac(macKey: CryptoKey, input: OtpMacInput): Promise<Uint8Array> {
  const data = binding(input)
  try {
    return new Uint8Array(await crypto.subtle.sign('HMAC', macKey, data))
  } finally {
    data.fill(0) // it contains the code
  }
}

/** Recomputes the MAC and compares in constant time (`equalBytes`). */
export async function verifyOtpMac(macKey: CryptoKey, input: OtpMacInput, expected: Uint8Array): Promise<boolean> {
  const actual = await computeOtpMac(macKey, input)
  return equalBytes(actual, expected)
}
