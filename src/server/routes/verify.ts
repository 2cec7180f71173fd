/**
 * `POST /otp/verify { challengeId, code }` → `VerifyResponse { grant }`.
 *
 * 1. Normalize the code; a code that cannot be right (length, alphabet) is 400 and costs nothing.
 * 2. Atomically spend one attempt BEFORE comparing, so concurrent guesses never exceed
 *    maxAttempts. Refused: another user's or unknown challenge 404 OTP_EXPIRED; used,
 *    superseded or expired 410 OTP_EXPIRED (`details.reason` says which); no attempts left
 *    429 OTP_ATTEMPTS_EXCEEDED.
 * 3. Compare MACs in constant time. Wrong: 400 OTP_INVALID { attemptsLeft }, or 429 when that
 *    was the last attempt.
 * 4. Right: atomically mark the challenge used (a racing twin gets 410), unwrap the wallet key,
 *    check it still derives the stored address, seal the grant to the challenge's target key,
 *    zero the key bytes.
 */
import type { GrantPayload, VerifyResponse } from '../../protocol/backend.js'
import { OtpWalletError, type OtpExpiredReason } from '../../protocol/errors.js'
import { bytesToHex } from '../../crypto/bytes.js'
import { sealGrant } from '../../crypto/hpke.js'
import { ID_RE, type RouteInput } from '../context.js'
import { httpError, jsonResponse, readJsonObject } from '../http.js'
import { isWellFormedCode, normalizeCode } from '../otp-code.js'
import { verifyOtpMac } from '../otp-mac.js'
import { addressFromPrivateKey, unwrapWalletKey } from '../wallet-keys.js'
import { ensureWallet } from '../wallets.js'

function badField(field: string, message: string): OtpWalletError {
  return new OtpWalletError('INVALID_REQUEST', `${field}: ${message}`, { details: { field } })
}

/** `details.reason` lets the vault tell "a newer code was requested" from plain expiry. */
const expired = (reason: Exclude<OtpExpiredReason, 'not_found'>, message: string) => httpError(410, 'OTP_EXPIRED', message, { reason })

export async function postVerify({ ctx, request, user }: RouteInput): Promise<Response> {
  const { config } = ctx
  const body = await readJsonObject(request)
  const challengeId = body.challengeId
  if (typeof challengeId !== 'string' || !ID_RE.test(challengeId)) throw badField('challengeId', 'expected the challengeId from /otp/challenge')
  if (typeof body.code !== 'string') throw badField('code', 'expected the code as a string')
  const { format, length } = config.otp
  const code = normalizeCode(body.code)
  if (!isWellFormedCode(code, format, length)) {
    throw badField('code', `expected ${length} ${format === 'digits' ? 'digits' : 'letters or digits'}`)
  }

  const now = config.now()
  const attempt = await config.store.beginAttempt(challengeId, user.userId, now)
  if (!attempt.ok) {
    switch (attempt.reason) {
      case 'not_found':
        throw httpError(404, 'OTP_EXPIRED', 'No such code request; request a new code', { reason: 'not_found' satisfies OtpExpiredReason })
      case 'used':
        throw expired('used', 'This code was already used; request a new code')
      case 'superseded':
        throw expired('superseded', 'A newer code was requested; use the latest code')
      case 'exhausted':
        throw httpError(429, 'OTP_ATTEMPTS_EXCEEDED', 'Too many wrong codes; request a new code', { attemptsLeft: 0 })
      case 'expired':
        throw expired('expired', 'The code has expired; request a new code')
    }
  }
  const challenge = attempt.challenge
  const { macKey, wrapKey } = await ctx.keys()
  const right = await verifyOtpMac(
    macKey,
    {
      challengeId,
      userId: user.userId,
      targetPublicKey: challenge.targetPublicKey,
      expiresAt: challenge.expiresAt,
      sessionTtlSeconds: challenge.sessionTtlSeconds,
      code,
    },
    challenge.codeMac,
  )
  if (!right) {
    const attemptsLeft = Math.max(0, challenge.maxAttempts - challenge.attempts)
    if (attemptsLeft === 0) throw httpError(429, 'OTP_ATTEMPTS_EXCEEDED', 'Too many wrong codes; request a new code', { attemptsLeft: 0 })
    throw httpError(400, 'OTP_INVALID', `Wrong code; ${attemptsLeft} ${attemptsLeft === 1 ? 'attempt' : 'attempts'} left`, { attemptsLeft })
  }

  const wallet = await ensureWallet(ctx, user.userId, user.email)
  if (!(await config.store.markChallengeUsed(challengeId))) throw expired('used', 'This code was already used; request a new code')

  const privateKey = await unwrapWalletKey(wrapKey, wallet.id, wallet.wrappedKey)
  try {
    if (addressFromPrivateKey(privateKey) !== wallet.address) {
      throw new OtpWalletError('INTERNAL', 'Stored wallet address does not match its key')
    }
    const ttl = challenge.sessionTtlSeconds
    const payload: GrantPayload = {
      v: 1,
      challengeId,
      address: wallet.address,
      privateKey: bytesToHex(privateKey),
      issuedAt: now,
      expiresAt: now + ttl * 1000,
      singleUse: ttl === 0,
    }
    const grant = await sealGrant(challenge.targetPublicKey, challengeId, payload)
    const response: VerifyResponse = { grant }
    return jsonResponse(200, response)
  } finally {
    privateKey.fill(0)
  }
}
