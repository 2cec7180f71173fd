/**
 * The vault ↔ backend HTTP contract, shared by `iframe/` (the caller) and `src/server/` (the handler).
 *
 * Every request carries `Authorization: Bearer <host app-login token>`; the backend's
 * `authenticate(request)` turns it into `{ userId, email }`. Bodies are JSON. Errors are
 * `{ error: { code, message, details? } }` with a 4xx/5xx status — never a stack trace.
 * All times are milliseconds since the Unix epoch on the backend's clock.
 */

/**
 * `GET /wallet` → 200. Creates the wallet on first sight. Also the vault's check of who the
 * current app token belongs to (see iframe/methods.ts: a session only signs for its owner).
 */
export interface WalletResponse {
  address: string
  /** The backend's session limits, so the vault can refuse an impossible `ttlSeconds` at init. */
  session: { ttlSeconds: number; maxTtlSeconds: number }
}

/**
 * `POST /otp/challenge` → 200. Emails a code to the user's authenticated address.
 * Asking again for the same target key acts as "resend": the earlier challenge dies once the
 * new email is out, subject to `resendSeconds` (429 OTP_RATE_LIMITED with
 * `details.retryAfterSeconds`). Challenges for other target keys (other browsers) are untouched.
 */
export interface ChallengeRequest {
  /** The vault's target key: uncompressed P-256 point, 0x-hex of 65 bytes. */
  targetPublicKey: string
  /** Session length the SDK asks for; 0 = single use; absent = the backend's `session.ttlSeconds`. */
  ttlSeconds?: number
}

export interface ChallengeResponse {
  challengeId: string
  emailHint: string
  codeFormat: 'digits' | 'alphanumeric'
  codeLength: number
  attemptsLeft: number
  expiresAt: number
  resendAfter: number
  /** The backend's clock when it answered: the vault shifts `expiresAt` and `resendAfter` by
   * (browser now − serverTime), so the host gets times on its own clock. */
  serverTime: number
}

/** `POST /otp/verify` → 200, or 400 OTP_INVALID (`details.attemptsLeft`), 410 OTP_EXPIRED, 429 OTP_ATTEMPTS_EXCEEDED. */
export interface VerifyRequest {
  challengeId: string
  /** As typed by the user; the backend strips spaces and dashes and upper-cases alphanumerics. */
  code: string
}

export interface VerifyResponse {
  grant: SealedGrant
}

/** HPKE base-mode ciphertext of a `GrantPayload`, sealed to the challenge's target key. */
export interface SealedGrant {
  /** Encapsulated ephemeral key, 0x-hex (65 bytes for DHKEM(P-256)). */
  enc: string
  /** AEAD ciphertext with tag, 0x-hex. */
  ciphertext: string
}

/** The grant's plaintext (UTF-8 JSON inside the HPKE ciphertext). */
export interface GrantPayload {
  v: 1
  challengeId: string
  address: string
  /** secp256k1 private key, 0x-hex of 32 bytes. */
  privateKey: string
  issuedAt: number
  expiresAt: number
  /** True when the session was asked with ttlSeconds 0: sign one request, then drop the key. */
  singleUse: boolean
}

/** The routes, relative to the vault's `apiUrl`. */
export const BACKEND_ROUTES = {
  wallet: '/wallet',
  challenge: '/otp/challenge',
  verify: '/otp/verify',
} as const

/** HPKE `info` = GRANT_INFO_PREFIX ‖ UTF-8(challengeId). */
export const GRANT_INFO_PREFIX = 'otp-wallet/grant/v1/'
/** HPKE `aad` = UTF-8(GRANT_AAD_LABEL) ‖ targetPublicKey (65 bytes) ‖ enc (65 bytes). */
export const GRANT_AAD_LABEL = 'otp-wallet/grant/v1'
