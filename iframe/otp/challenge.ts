/** Small pure helpers between the backend's challenge answers and what a round shows. */
import { bytesToHex } from '../../src/crypto/bytes.js'
import type { ChallengeRequest, ChallengeResponse } from '../../src/protocol/backend.js'
import { OtpWalletError, type OtpExpiredReason } from '../../src/protocol/errors.js'
import type { OtpRequiredData } from '../../src/protocol/messages.js'
import type { TargetKey } from '../keys/target-key.js'

/** Used when a 429 carries no usable `retryAfterSeconds`: the backend's default resend cooldown. */
export const FALLBACK_RETRY_AFTER_SECONDS = 30

/** The body of POST /otp/challenge: the target key, and the session length only when the host chose one. */
export function challengeBody(target: TargetKey, ttlSeconds: number | null): ChallengeRequest {
  const body: ChallengeRequest = { targetPublicKey: bytesToHex(target.publicKey) }
  if (ttlSeconds !== null) body.ttlSeconds = ttlSeconds
  return body
}

/** What the UI needs of a challenge (its times are already on this browser's clock, see backend-client.ts). */
export function toOtpRequired(c: ChallengeResponse): OtpRequiredData {
  return {
    emailHint: c.emailHint,
    codeFormat: c.codeFormat,
    codeLength: c.codeLength,
    attemptsLeft: c.attemptsLeft,
    expiresAt: c.expiresAt,
    resendAfter: c.resendAfter,
  }
}

/** The seconds to wait from an OTP_RATE_LIMITED error, or null for any other error. */
export function rateLimitSeconds(error: unknown): number | null {
  if (!(error instanceof OtpWalletError) || error.code !== 'OTP_RATE_LIMITED') return null
  const seconds = error.details?.retryAfterSeconds
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : FALLBACK_RETRY_AFTER_SECONDS
}

export function codeExpiredError(): OtpWalletError {
  return new OtpWalletError('OTP_EXPIRED', 'The code has expired; ask for a new one (resend)', { details: { reason: 'expired' satisfies OtpExpiredReason } })
}
