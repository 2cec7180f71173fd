/**
 * The one storage interface of the backend. Implementations: `createSqliteStore(path)` and
 * `createMemoryStore()`; anything else (Postgres, DynamoDB…) implements the same methods.
 *
 * Every method that decides something (claim a wallet, start a challenge, spend an attempt,
 * use a challenge) must be ATOMIC: two concurrent calls must behave as if one ran after the
 * other. The handler relies on that for "one wallet per user", rate limits, attempt limits and
 * single use. Records are plain data; a store returns copies, never its internal objects.
 */

export interface StoredWallet {
  /** Random id; also the AAD of `wrappedKey`. */
  id: string
  /** The app user it belongs to; null while pregenerated and unclaimed. */
  userId: string | null
  /** Normalized: trimmed and lower-case. */
  email: string
  /** EIP-55 checksummed. */
  address: string
  /** 0x01 ‖ iv ‖ AES-256-GCM(privateKey), see wallet-keys.ts. Never the plaintext key. */
  wrappedKey: Uint8Array
  createdAt: number
}

export type ChallengeStatus = 'open' | 'used' | 'superseded'

export interface StoredChallenge {
  id: string
  userId: string
  /** The vault's P-256 target key, 65 bytes. */
  targetPublicKey: Uint8Array
  /** HMAC of the code and its binding (otp-mac.ts). Never the code. */
  codeMac: Uint8Array
  /** Session length the grant will carry; 0 = single use. */
  sessionTtlSeconds: number
  createdAt: number
  expiresAt: number
  /** When its email was sent (`markChallengeSent`); null while it is being sent. */
  sentAt: number | null
  /** Attempts spent so far (right or wrong). */
  attempts: number
  maxAttempts: number
  status: ChallengeStatus
}

export interface ChallengeLimits {
  now: number
  /** Sliding window of the per-user challenge limit (24 h). */
  windowMs: number
  maxPerWindow: number
  /** Minimum gap after a user's latest challenge for a target key while it is still outstanding (open, attempts left, unexpired). */
  resendMs: number
}

export type InsertChallengeResult = { ok: true } | { ok: false; retryAfterMs: number }

export type AttemptRefusal = 'not_found' | 'used' | 'superseded' | 'exhausted' | 'expired'

export type AttemptResult = { ok: true; challenge: StoredChallenge } | { ok: false; reason: AttemptRefusal }

export interface OtpWalletStore {
  findWalletByUserId(userId: string): Promise<StoredWallet | null>

  /**
   * Atomically returns, in order of preference: the wallet of `userId`; else the oldest unclaimed
   * wallet whose email equals `candidate.email`, now claimed for `userId`; else `candidate`
   * (whose userId is `userId`) after inserting it.
   */
  claimOrCreateWallet(userId: string, candidate: StoredWallet): Promise<StoredWallet>

  /**
   * Atomically returns the oldest wallet with `candidate.email` (claimed or not) if there is one,
   * else inserts `candidate` (userId null) and returns it.
   */
  createPregeneratedWallet(candidate: StoredWallet): Promise<StoredWallet>

  /**
   * Atomically: refuses with the time until a new challenge is allowed when the user already has
   * `maxPerWindow` challenges created within `windowMs` (any target key), or when their latest
   * challenge for the same target key was created within `resendMs` AND is still outstanding —
   * status 'open', attempts < maxAttempts, expiresAt > now (the larger wait wins; see
   * challenge-limits.ts `retryAfterMs`); otherwise inserts `challenge`. It retires nothing: the
   * older code stays valid until the new one's email is out (`markChallengeSent`). May purge
   * challenges that are both expired and older than the window.
   */
  insertChallenge(challenge: StoredChallenge, limits: ChallengeLimits): Promise<InsertChallengeResult>

  /**
   * Atomically records that challenge `id`'s email went out at `sentAt`, and marks 'superseded'
   * every other 'open' challenge of the same user AND the same target key whose email had
   * already gone out. So the code in the latest email is the one that works: a resend kills the
   * code it replaces; of two sends in flight at once, the one that finishes last wins; and the
   * code another browser or device (another target key) is waiting for is never touched.
   */
  markChallengeSent(id: string, sentAt: number): Promise<void>

  /** Removes a challenge (its email could not be sent): it does not count towards limits. */
  deleteChallenge(id: string): Promise<void>

  /**
   * Atomically spends one attempt of challenge `id` for `userId`, BEFORE the code is compared, so
   * concurrent guesses can never exceed `maxAttempts`. Refusals, checked in this order:
   * not_found (missing or another user's), used, superseded, exhausted (attempts ≥ maxAttempts),
   * expired (expiresAt ≤ now). On success returns the challenge with `attempts` incremented.
   */
  beginAttempt(id: string, userId: string, now: number): Promise<AttemptResult>

  /** Atomically moves an 'open' challenge to 'used'; false when it was not open (lost a race). */
  markChallengeUsed(id: string): Promise<boolean>

  /** Releases resources (closes the database). */
  close(): void
}
