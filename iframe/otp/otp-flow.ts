/**
 * The OTP flow: how a sign request with no live session gets a wallet key.
 *
 * A ROUND is one challenge: load/create the target key → POST /otp/challenge → open the UI
 * (vault prompt, or `otp_required` in headless mode) → submit(code) → POST /otp/verify →
 * open + check the grant → session (or single-use key) → waiting requests go on.
 *
 * - Requests that arrive while a round is starting or running JOIN it: one challenge, never two.
 * - A session grant releases every waiting request; a single-use grant releases only the
 *   oldest one, and the next round starts for the rest (one code per request, serially).
 * - OTP_INVALID keeps the round (the attempts left are updated); OTP_EXPIRED and
 *   OTP_ATTEMPTS_EXCEEDED from verify, and any failure after a successful verify (the challenge
 *   is spent), end the round and reject every waiting request with that error.
 * - cancel() rejects every waiting request with USER_CANCELLED. A verify that completes after
 *   a cancel is discarded: no session starts behind the user's back.
 * - Only one verify or resend runs at a time; a second gets INVALID_REQUEST.
 */
import { bytesToHex } from '../../src/crypto/bytes.js'
import type { ChallengeRequest, ChallengeResponse, GrantPayload, SealedGrant } from '../../src/protocol/backend.js'
import { OtpWalletError } from '../../src/protocol/errors.js'
import type { OtpRequiredData, UiMode } from '../../src/protocol/messages.js'
import type { BackendClient } from '../backend-client.js'
import type { TargetKey } from '../keys/target-key.js'
import { acceptGrant, type AcceptedGrant } from '../session/grant.js'
import type { SessionManager } from '../session/session-manager.js'
import { sessionLease, singleUseLease, type KeyLease } from './key-lease.js'
import { checkCode } from './normalize-code.js'

export type { KeyLease } from './key-lease.js'

/** What a round shows the user: the vault's prompt or the host's (headless). */
export interface OtpUi {
  open(data: OtpRequiredData): void
  /** After a resend: new expiry, attempts, resend time. */
  update(data: OtpRequiredData): void
  close(): void
}

export interface OtpFlowDeps {
  backend: BackendClient
  targetKey: () => Promise<TargetKey>
  openGrant: (recipient: CryptoKeyPair, targetPublicKey: Uint8Array, challengeId: string, sealed: SealedGrant) => Promise<GrantPayload>
  session: SessionManager
  ui: (mode: UiMode) => OtpUi
  /** The options and address from `init`, read when a round starts. */
  options: () => { ui: UiMode; sessionTtlSeconds: number | null; address: string }
  onSessionStarted: (expiresAt: number) => void
}

/** Who is submitting: the host (headless API) or the vault's own prompt. */
export type OtpSource = 'host' | 'prompt'

interface Waiter {
  resolve(lease: KeyLease): void
  reject(error: unknown): void
}

interface Round {
  mode: UiMode
  ui: OtpUi
  target: TargetKey
  challengeId: string
  data: OtpRequiredData
  ttlSeconds: number | null
  address: string
  busy: boolean
}

export class OtpFlow {
  private waiters: Waiter[] = []
  private round: Round | null = null
  /** Bumped whenever a round starts or is torn down; an await that returns to a stale value is dropped. */
  private generation = 0
  private starting = false
  /** The newest app-login token seen; tokens can expire while the user reads their email. */
  private auth: string | null = null

  constructor(private readonly deps: OtpFlowDeps) {}

  /** True while a round is starting or waiting for a code. */
  get pending(): boolean {
    return this.starting || this.round !== null
  }

  /** Waits for a key from the current round, starting one if none runs. */
  requestKey(auth: string | null, awaitingUser: () => void): Promise<KeyLease> {
    if (auth !== null) this.auth = auth
    const lease = new Promise<KeyLease>((resolve, reject) => this.waiters.push({ resolve, reject }))
    awaitingUser()
    if (!this.pending) void this.startRound()
    return lease
  }

  /** Verifies a code for the current round. Resolves once the waiting requests are released. */
  async submit(rawCode: unknown, auth: string | null, source: OtpSource): Promise<void> {
    const round = this.currentRound(source)
    const code = checkCode(rawCode, round.data)
    if (auth !== null) this.auth = auth
    round.busy = true
    let spent = false
    try {
      const { grant } = await this.deps.backend.verify(this.auth, { challengeId: round.challengeId, code })
      spent = true
      this.assertCurrent(round)
      const payload = await this.deps.openGrant(round.target.keyPair, round.target.publicKey, round.challengeId, grant)
      const accepted = acceptGrant(payload, { challengeId: round.challengeId, address: round.address, sessionTtlSeconds: round.ttlSeconds })
      await this.release(round, accepted)
    } catch (error) {
      if (round === this.round) this.afterVerifyError(round, error, spent)
      throw error
    } finally {
      round.busy = false
    }
  }

  /** Asks the backend for a new code (the old one dies). */
  async resend(auth: string | null, source: OtpSource): Promise<Pick<OtpRequiredData, 'resendAfter' | 'expiresAt'>> {
    const round = this.currentRound(source)
    if (auth !== null) this.auth = auth
    round.busy = true
    try {
      const challenge = await this.deps.backend.requestChallenge(this.auth, challengeBody(round.target, round.ttlSeconds))
      this.assertCurrent(round)
      round.challengeId = challenge.challengeId
      round.data = toOtpRequired(challenge)
      round.ui.update(round.data)
      return { resendAfter: round.data.resendAfter, expiresAt: round.data.expiresAt }
    } finally {
      round.busy = false
    }
  }

  /** Rejects every waiting request with USER_CANCELLED and closes the UI. Idempotent. */
  cancel(): void {
    if (!this.pending && this.waiters.length === 0) return
    this.abort(new OtpWalletError('USER_CANCELLED', 'The code prompt was cancelled'))
  }

  private async startRound(): Promise<void> {
    const generation = ++this.generation
    this.starting = true
    try {
      const options = this.deps.options()
      const target = await this.deps.targetKey()
      const challenge = await this.deps.backend.requestChallenge(this.auth, challengeBody(target, options.sessionTtlSeconds))
      if (generation !== this.generation) return
      const data = toOtpRequired(challenge)
      const round: Round = {
        mode: options.ui,
        ui: this.deps.ui(options.ui),
        target,
        challengeId: challenge.challengeId,
        data,
        ttlSeconds: options.sessionTtlSeconds,
        address: options.address,
        busy: false,
      }
      this.round = round
      this.starting = false
      round.ui.open(data)
    } catch (error) {
      if (generation === this.generation) this.abort(error)
    }
  }

  /** Hands the grant's key to the waiting requests. */
  private async release(round: Round, grant: AcceptedGrant): Promise<void> {
    if (grant.singleUse) {
      const first = this.waiters.shift()
      this.round = null
      this.generation++
      if (this.waiters.length > 0) void this.startRound()
      else round.ui.close()
      if (first === undefined) grant.privateKey.fill(0)
      else first.resolve(singleUseLease(grant.privateKey))
      return
    }
    const record = await this.deps.session.start(grant)
    // The session stands even if the user cancelled during these few milliseconds: the code was right.
    this.deps.onSessionStarted(record.expiresAt)
    if (round !== this.round) return
    const waiters = this.waiters.splice(0)
    this.round = null
    this.generation++
    round.ui.close()
    for (const waiter of waiters) waiter.resolve(sessionLease(record))
  }

  private afterVerifyError(round: Round, error: unknown, spent: boolean): void {
    const code = error instanceof OtpWalletError ? error.code : null
    if (code === 'OTP_INVALID') {
      const left = error instanceof OtpWalletError ? error.details?.attemptsLeft : undefined
      if (typeof left === 'number') round.data = { ...round.data, attemptsLeft: left }
      if (left === 0) this.abort(new OtpWalletError('OTP_ATTEMPTS_EXCEEDED', 'Too many wrong codes; ask for a new code'))
      return
    }
    // After a successful verify the challenge is spent: whatever failed, this round is over.
    if (spent || code === 'OTP_EXPIRED' || code === 'OTP_ATTEMPTS_EXCEEDED') this.abort(error)
  }

  private abort(error: unknown): void {
    this.generation++
    this.starting = false
    const round = this.round
    this.round = null
    for (const waiter of this.waiters.splice(0)) waiter.reject(error)
    round?.ui.close()
  }

  private currentRound(source: OtpSource): Round {
    const round = this.round
    if (round === null) throw new OtpWalletError('INVALID_REQUEST', 'No code is pending')
    if (source === 'host' && round.mode !== 'headless') {
      throw new OtpWalletError('INVALID_REQUEST', "The vault shows its own code prompt (ui: 'vault')")
    }
    if (round.busy) throw new OtpWalletError('INVALID_REQUEST', 'A code is already being checked or sent')
    return round
  }

  private assertCurrent(round: Round): void {
    if (round !== this.round) throw new OtpWalletError('USER_CANCELLED', 'The code prompt was cancelled')
  }
}

function challengeBody(target: TargetKey, ttlSeconds: number | null): ChallengeRequest {
  const body: ChallengeRequest = { targetPublicKey: bytesToHex(target.publicKey) }
  if (ttlSeconds !== null) body.ttlSeconds = ttlSeconds
  return body
}

function toOtpRequired(c: ChallengeResponse): OtpRequiredData {
  return {
    emailHint: c.emailHint,
    codeFormat: c.codeFormat,
    codeLength: c.codeLength,
    attemptsLeft: c.attemptsLeft,
    expiresAt: c.expiresAt,
    resendAfter: c.resendAfter,
  }
}
