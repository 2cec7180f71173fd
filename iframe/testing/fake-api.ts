/**
 * A stubbed-fetch backend for whole-vault tests: speaks the HTTP contract of
 * src/protocol/backend.ts and seals REAL HPKE grants (sealGrant), so the vault's real
 * openGrant is exercised. Its clock is deliberately far from the browser's.
 */
import { hexToBytes } from '../../src/crypto/bytes.js'
import { sealGrant } from '../../src/crypto/hpke.js'
import type { ChallengeRequest, ChallengeResponse, VerifyRequest } from '../../src/protocol/backend.js'
import { TEST_ADDRESS, TEST_PRIVATE_KEY } from './fakes.js'

export const BACKEND_CLOCK_OFFSET_MS = -3 * 3_600_000 // the backend is three hours behind

interface Challenge {
  targetPublicKey: string
  ttlSeconds: number
  attemptsLeft: number
}

export class FakeApi {
  code = '012345'
  defaultTtlSeconds = 600
  maxTtlSeconds = 86_400
  /** The wallet of the user whose token is 'tok'. */
  address = TEST_ADDRESS
  privateKey = TEST_PRIVATE_KEY
  /** Other app users: token → wallet address (they only get GET /wallet). */
  users = new Map<string, string>()
  /** When set, POST /otp/challenge answers 429 OTP_RATE_LIMITED with this retryAfterSeconds. */
  rateLimitSeconds: number | null = null
  calls: Array<{ path: string; auth: string | null; body: unknown }> = []
  private readonly superseded = new Set<string>()
  private challenges = new Map<string, Challenge>()
  private n = 0

  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(String(input))
    const header = new Headers(init?.headers).get('Authorization')
    const auth = header?.startsWith('Bearer ') ? header.slice(7) : null
    const body: unknown = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined
    const path = url.pathname.replace(/^\/api/, '')
    this.calls.push({ path, auth, body })
    const wallet = auth === 'tok' ? this.address : auth === null ? undefined : this.users.get(auth)
    if (wallet === undefined) return reply(401, { error: { code: 'UNAUTHENTICATED', message: 'Bad token' } })
    if (path === '/wallet') {
      return reply(200, { address: wallet, session: { ttlSeconds: Math.min(3600, this.maxTtlSeconds), maxTtlSeconds: this.maxTtlSeconds } })
    }
    if (auth !== 'tok') return reply(403, { error: { code: 'INVALID_REQUEST', message: 'Only the wallet owner gets codes here' } })
    if (path === '/otp/challenge' && this.rateLimitSeconds !== null) {
      const retryAfterSeconds = this.rateLimitSeconds
      return reply(429, { error: { code: 'OTP_RATE_LIMITED', message: 'Too soon', details: { retryAfterSeconds } } })
    }
    if (path === '/otp/challenge') return reply(200, this.challenge(body as ChallengeRequest))
    if (path === '/otp/verify') return this.verify(body as VerifyRequest)
    return reply(404, { error: { code: 'NOT_FOUND', message: 'No route' } })
  }

  /** Kills every open challenge, as the backend does when their time is up. */
  expireChallenges(): void {
    this.challenges.clear()
  }

  get count(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const c of this.calls) out[c.path] = (out[c.path] ?? 0) + 1
    return out
  }

  private now(): number {
    return Date.now() + BACKEND_CLOCK_OFFSET_MS
  }

  private challenge(body: ChallengeRequest): ChallengeResponse {
    const challengeId = `ch-${++this.n}`
    // A resend: the backend retires the open challenge for the same target key.
    for (const [id, c] of this.challenges) {
      if (c.targetPublicKey === body.targetPublicKey) {
        this.challenges.delete(id)
        this.superseded.add(id)
      }
    }
    this.challenges.set(challengeId, {
      targetPublicKey: body.targetPublicKey,
      ttlSeconds: body.ttlSeconds ?? this.defaultTtlSeconds,
      attemptsLeft: 3,
    })
    const now = this.now()
    return {
      challengeId,
      emailHint: 'j***@example.com',
      codeFormat: 'digits',
      codeLength: 6,
      attemptsLeft: 3,
      expiresAt: now + 600_000,
      resendAfter: now + 30_000,
      serverTime: now,
    }
  }

  private async verify(body: VerifyRequest): Promise<Response> {
    const c = this.challenges.get(body.challengeId)
    if (this.superseded.has(body.challengeId)) {
      return reply(410, { error: { code: 'OTP_EXPIRED', message: 'A newer code was requested', details: { reason: 'superseded' } } })
    }
    if (c === undefined) return reply(410, { error: { code: 'OTP_EXPIRED', message: 'Expired', details: { reason: 'expired' } } })
    if (body.code !== this.code) {
      c.attemptsLeft--
      if (c.attemptsLeft === 0) {
        this.challenges.delete(body.challengeId)
        return reply(429, { error: { code: 'OTP_ATTEMPTS_EXCEEDED', message: 'Too many' } })
      }
      return reply(400, { error: { code: 'OTP_INVALID', message: 'Wrong code', details: { attemptsLeft: c.attemptsLeft } } })
    }
    this.challenges.delete(body.challengeId)
    const issuedAt = this.now()
    const grant = await sealGrant(hexToBytes(c.targetPublicKey, 'targetPublicKey'), body.challengeId, {
      v: 1,
      challengeId: body.challengeId,
      address: this.address,
      privateKey: this.privateKey,
      issuedAt,
      expiresAt: issuedAt + c.ttlSeconds * 1000,
      singleUse: c.ttlSeconds === 0,
    })
    return reply(200, { grant })
  }
}

function reply(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}
