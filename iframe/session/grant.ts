/**
 * Checks an opened grant before the vault trusts it with a session.
 *
 * `openGrant` proves the grant was sealed to this vault's target key for this challenge; this
 * module checks what is inside: the version, the challenge id, that the private key really
 * belongs to the address, that the address is the wallet `init` reported (a grant for another
 * account is never used), and the session length. The length is a DURATION
 * (`expiresAt − issuedAt` on the backend's clock) because the backend's clock may differ from
 * the browser's; the session enforces it on the local clock from the moment the grant opened.
 */
import { getAddress } from 'ethers/address'
import { computeAddress } from 'ethers/transaction'
import type { GrantPayload } from '../../src/protocol/backend.js'
import { OtpWalletError } from '../../src/protocol/errors.js'
import { hexToBytes } from '../../src/crypto/bytes.js'

export interface AcceptedGrant {
  /** Checksummed address. */
  address: string
  /** The 32-byte secp256k1 key. The receiver owns it and must zero it. */
  privateKey: Uint8Array
  /** How long the session may live, in ms; 0 when single use. */
  durationMs: number
  singleUse: boolean
}

export interface GrantExpectations {
  challengeId: string
  /** The wallet address `init` got from the backend. */
  address: string
  /** What the vault asked for: null = the backend's default, 0 = single use. */
  sessionTtlSeconds: number | null
}

/**
 * @example
 * const grant = acceptGrant(await openGrant(target.keyPair, target.publicKey, challengeId, sealed), expected)
 */
export function acceptGrant(payload: GrantPayload, expected: GrantExpectations): AcceptedGrant {
  const p = payload as Partial<Record<keyof GrantPayload, unknown>>
  if (p.v !== 1 || p.challengeId !== expected.challengeId) {
    throw new OtpWalletError('OTP_EXPIRED', 'The grant does not belong to this challenge; ask for a new code')
  }
  if (
    typeof p.address !== 'string' ||
    typeof p.privateKey !== 'string' ||
    typeof p.singleUse !== 'boolean' ||
    !isTime(p.issuedAt) ||
    !isTime(p.expiresAt)
  ) {
    throw new OtpWalletError('OTP_EXPIRED', 'The grant is malformed; ask for a new code')
  }
  let derived: string
  try {
    derived = computeAddress(p.privateKey)
  } catch {
    throw new OtpWalletError('BACKEND_ERROR', 'The grant carries an invalid wallet key')
  }
  if (!sameAddress(derived, p.address) || !sameAddress(derived, expected.address)) {
    throw new OtpWalletError('BACKEND_ERROR', "The grant's wallet key does not match this account's wallet")
  }
  const privateKey = hexToBytes(p.privateKey, 'grant.privateKey')
  let durationMs = Math.max(0, p.expiresAt - p.issuedAt)
  // Never keep a session longer than the vault asked for, whatever the backend granted.
  if (expected.sessionTtlSeconds !== null) durationMs = Math.min(durationMs, expected.sessionTtlSeconds * 1000)
  const singleUse = p.singleUse || durationMs === 0
  return { address: getAddress(derived), privateKey, durationMs: singleUse ? 0 : durationMs, singleUse }
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0
}
