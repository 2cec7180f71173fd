/**
 * `POST /otp/challenge { targetPublicKey, ttlSeconds? }` → `ChallengeResponse`.
 *
 * 1. Validate the target key (65-byte uncompressed P-256 point, on the curve) and ttlSeconds.
 * 2. Generate the code; keep only its MAC (bound to challenge, user, target key, expiry, ttl).
 * 3. Atomically: enforce maxChallengesPerDay (sliding 24 h, all target keys) and resendSeconds
 *    (only while the user's latest code for THIS target key is still outstanding: after it was
 *    used, or died of wrong attempts or expiry, a new code may be sent at once), insert the new one.
 * 4. Email the code. If that fails, delete the challenge and answer 502 MAIL_FAILED: the code
 *    already in the inbox keeps working.
 * 5. Once sent, retire the user's open challenges for this target key whose emails went out
 *    before this one (a resend): the code in the latest email is the one that works. Codes for
 *    other target keys (another browser or device) are left alone.
 */
import type { ChallengeResponse } from '../../protocol/backend.js'
import { OtpWalletError } from '../../protocol/errors.js'
import { hexToBytes } from '../../crypto/bytes.js'
import { P256_PUBLIC_KEY_LENGTH } from '../../crypto/hpke.js'
import { randomId, type RouteInput } from '../context.js'
import { httpError, jsonResponse, readJsonObject } from '../http.js'
import { computeOtpMac } from '../otp-mac.js'
import { generateCode } from '../otp-code.js'

const DAY_MS = 24 * 60 * 60 * 1000

function badField(field: string, message: string, extra: Record<string, number> = {}): OtpWalletError {
  return new OtpWalletError('INVALID_REQUEST', `${field}: ${message}`, { details: { field, ...extra } })
}

/** Parses and checks `targetPublicKey`: 0x-hex, 65 bytes, 0x04 prefix, a point on P-256. */
export async function parseTargetPublicKey(value: unknown): Promise<Uint8Array> {
  if (typeof value !== 'string') throw badField('targetPublicKey', 'expected 0x-hex of a 65-byte uncompressed P-256 public key')
  if (!value.startsWith('0x')) throw badField('targetPublicKey', 'expected 0x-prefixed hex')
  if (value.length !== 2 + 2 * P256_PUBLIC_KEY_LENGTH) throw badField('targetPublicKey', 'expected 65 bytes (132 hex characters after 0x)')
  const bytes = hexToBytes(value, 'targetPublicKey')
  if (bytes[0] !== 0x04) throw badField('targetPublicKey', 'expected an uncompressed point (0x04…)')
  try {
    await crypto.subtle.importKey('raw', new Uint8Array(bytes), { name: 'ECDH', namedCurve: 'P-256' }, true, [])
  } catch {
    throw badField('targetPublicKey', 'not a point on the P-256 curve')
  }
  return bytes
}

/** `j***@example.com`: enough for the user to recognise the address, not enough to harvest it. */
export function emailHint(email: string): string {
  const at = email.lastIndexOf('@')
  if (at < 1) return '***'
  return `${email[0]}***${email.slice(at)}`
}

export async function postChallenge({ ctx, request, user }: RouteInput): Promise<Response> {
  const { config } = ctx
  const body = await readJsonObject(request)
  const targetPublicKey = await parseTargetPublicKey(body.targetPublicKey)

  const max = config.session.maxTtlSeconds
  let sessionTtlSeconds = config.session.ttlSeconds
  if (body.ttlSeconds !== undefined) {
    const t = body.ttlSeconds
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t > max) {
      throw badField('ttlSeconds', `expected an integer from 0 to ${max} (the backend's session.maxTtlSeconds)`, { max })
    }
    sessionTtlSeconds = t
  }

  const { otp } = config
  const now = config.now()
  const challengeId = randomId()
  const expiresAt = now + otp.ttlSeconds * 1000
  const code = generateCode(otp.format, otp.length)
  const { macKey } = await ctx.keys()
  const codeMac = await computeOtpMac(macKey, { challengeId, userId: user.userId, targetPublicKey, expiresAt, sessionTtlSeconds, code })

  const inserted = await config.store.insertChallenge(
    {
      id: challengeId,
      userId: user.userId,
      targetPublicKey,
      codeMac,
      sessionTtlSeconds,
      createdAt: now,
      expiresAt,
      sentAt: null,
      attempts: 0,
      maxAttempts: otp.maxAttempts,
      status: 'open',
    },
    { now, windowMs: DAY_MS, maxPerWindow: otp.maxChallengesPerDay, resendMs: otp.resendSeconds * 1000 },
  )
  if (!inserted.ok) {
    const retryAfterSeconds = Math.max(1, Math.ceil(inserted.retryAfterMs / 1000))
    throw httpError(429, 'OTP_RATE_LIMITED', `Too many codes requested; try again in ${retryAfterSeconds} s`, { retryAfterSeconds })
  }

  try {
    await config.mailer.sendCode({
      to: user.email,
      code,
      codeFormat: otp.format,
      siteName: config.siteName,
      expiresAt,
      ttlSeconds: otp.ttlSeconds,
    })
  } catch (error) {
    await config.store.deleteChallenge(challengeId)
    ctx.report(error, { method: request.method, path: new URL(request.url).pathname })
    throw httpError(502, 'MAIL_FAILED', 'The code email could not be sent; try again later')
  }
  // Only now that the new code is in the inbox does the one it replaces stop working.
  await config.store.markChallengeSent(challengeId, config.now())

  const response: ChallengeResponse = {
    challengeId,
    emailHint: emailHint(user.email),
    codeFormat: otp.format,
    codeLength: otp.length,
    attemptsLeft: otp.maxAttempts,
    expiresAt,
    resendAfter: now + otp.resendSeconds * 1000,
    serverTime: now,
  }
  return jsonResponse(200, response)
}
