/**
 * The OTP flow: how a sign request with no live session gets a wallet key.
 *
 * A ROUND is one wait for a code: re-check storage for a session another tab started → load/create
 * the target key → reuse the open challenge (open-challenge.ts) or POST /otp/challenge → open the
 * UI (vault prompt, or `otp_required` in headless mode) → submit(code) → POST /otp/verify → open +
 * check the grant → session (or single-use key) → waiting requests go on. A resend swaps the
 * round's challenge for a new one.
 *
 * - Requests that arrive while a round is starting or running JOIN it: one challenge, never two.
 * - A code already emailed and still open (same address, target key and requested ttl, more than
 *   the reuse margin left) is reused by the next round — after a Cancel, or in another tab of the
 *   same storage partition — without a backend call: asking again would be a resend (refused
 *   during the cooldown, and killing the code in the inbox once allowed). The prompt shows its
 *   remembered attempts and resend time. Used, dead, expired, replaced → forgotten.
 * - A session grant releases every waiting request; a single-use grant releases only the
 *   oldest one, and the next round starts for the rest (one code per request, serially).
 * - A session that another tab started for the same account (offerSession) releases them too,
 *   if it is no longer than this page asked for (session-serves.ts): single use never takes one.
 * - OTP_INVALID keeps the round (the attempts left are updated). OTP_ATTEMPTS_EXCEEDED from
 *   verify, and any failure after a successful verify (the challenge is spent), end the round
 *   and reject every waiting request with that error.
 * - An EXPIRED code keeps the round too, so the user can ask for a new one: a timer at the
 *   challenge's expiresAt (local clock) tells the UI, a submit after it fails OTP_EXPIRED without
 *   calling the backend, and a backend OTP_EXPIRED from verify does the same — except a code
 *   SUPERSEDED by another tab's newer one, which the round switches to when that tab stored it.
 * - Rate limited at the start (429 OTP_RATE_LIMITED, e.g. the cooldown of an earlier challenge):
 *   the vault prompt opens anyway, with no code yet and Resend counting down; in headless mode the
 *   waiting requests reject OTP_RATE_LIMITED and the host decides.
 * - cancel() rejects every waiting request (USER_CANCELLED, or the reason given). A verify that
 *   completes after a cancel is discarded: no session starts behind the user's back. The open
 *   challenge is kept for the next round (the code in the inbox still works).
 * - Only one verify or resend runs at a time; a second gets INVALID_REQUEST.
 */
import { bytesToHex } from '../../src/crypto/bytes.js'
import type { GrantPayload, SealedGrant, ChallengeResponse } from '../../src/protocol/backend.js'
import { OtpWalletError, otpExpiredReason } from '../../src/protocol/errors.js'
import type { OtpRequiredData, UiMode } from '../../src/protocol/messages.js'
import type { BackendClient } from '../backend-client.js'
import type { TargetKey } from '../keys/target-key.js'
import type { Clock } from '../session/clock.js'
import { acceptGrant, type AcceptedGrant } from '../session/grant.js'
import { sessionServes } from '../session/session-serves.js'
import type { SessionManager, SessionRecord } from '../session/session-manager.js'
import { challengeBody, codeExpiredError, rateLimitSeconds, toOtpRequired } from './challenge.js'
import { sessionLease, singleUseLease, type KeyLease } from './key-lease.js'
import { checkCode } from './normalize-code.js'
import type { OpenChallenges } from './open-challenge.js'

export type { KeyLease } from './key-lease.js'

/** What a round shows the user: the vault's prompt or the host's (headless). */
export interface OtpUi {
  open(data: OtpRequiredData): void
  /** Vault prompt only: no code could be sent yet; Resend counts down from `retryAfterSeconds`. */
  openWaiting(retryAfterSeconds: number): void
  /** After a resend: new expiry, attempts, resend time. */
  update(data: OtpRequiredData): void
  /** Another tab asked for a new code, and this round now waits for that one. */
  switched(data: OtpRequiredData): void
  /** The code stopped working (its expiry passed, or the backend said so): say so and offer Resend. */
  expired(): void
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
  clock: Clock
  /** The emailed, unused challenge, shared with the vault's other tabs (open-challenge.ts). */
  challenges: OpenChallenges
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
  /** Null while no code could be sent yet (rate limited at the start of a vault-prompt round). */
  challenge: { id: string; data: OtpRequiredData } | null
  expired: boolean
  expiryTimer: unknown
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
    const challenge = round.challenge
    if (challenge === null) throw new OtpWalletError('INVALID_REQUEST', 'No code has been sent yet; ask for one (resend)')
    // Past its expiry a code cannot work: say so without a backend call (or a spent attempt).
    if (round.expired || this.deps.clock.now() >= challenge.data.expiresAt) {
      this.expire(round)
      throw codeExpiredError()
    }
    const code = checkCode(rawCode, challenge.data)
    if (auth !== null) this.auth = auth
    round.busy = true
    let spent = false
    try {
      const { grant } = await this.deps.backend.verify(this.auth, { challengeId: challenge.id, code })
      spent = true
      this.deps.challenges.forget(challenge.id)
      this.assertCurrent(round)
      const payload = await this.deps.openGrant(round.target.keyPair, round.target.publicKey, challenge.id, grant)
      const accepted = acceptGrant(payload, { challengeId: challenge.id, address: round.address, sessionTtlSeconds: round.ttlSeconds })
      await this.release(round, accepted)
    } catch (error) {
      // Also after a cancel: what the backend said about the challenge holds for the next round.
      if (!spent) this.noteVerifyFailure(challenge.id, error)
      if (round === this.round) await this.afterVerifyError(round, error, spent)
      throw error
    } finally {
      round.busy = false
    }
  }

  /** Asks the backend for a new code (the old one dies). Also the first code of a rate-limited round. */
  async resend(auth: string | null, source: OtpSource): Promise<Pick<OtpRequiredData, 'resendAfter' | 'expiresAt'>> {
    const round = this.currentRound(source)
    if (auth !== null) this.auth = auth
    round.busy = true
    try {
      const challenge = await this.deps.backend.requestChallenge(this.auth, challengeBody(round.target, round.ttlSeconds))
      // Remembered even if the round was cancelled meanwhile: this is the code in the inbox now.
      const data = this.remember(round.target, round.address, round.ttlSeconds, challenge)
      this.assertCurrent(round)
      this.setChallenge(round, challenge.challengeId, data)
      round.ui.update(data)
      return { resendAfter: data.resendAfter, expiresAt: data.expiresAt }
    } finally {
      round.busy = false
    }
  }

  /** Rejects every waiting request (USER_CANCELLED unless `reason` says otherwise) and closes the UI. Idempotent. */
  cancel(reason: OtpWalletError = new OtpWalletError('USER_CANCELLED', 'The code prompt was cancelled')): void {
    if (!this.pending && this.waiters.length === 0) return
    this.abort(reason)
  }

  /**
   * A live session for `record.address` appeared (another tab verified a code): the requests
   * waiting here use it, and this round's prompt closes — its challenge died when the other
   * tab asked for one with the same target key.
   */
  offerSession(record: SessionRecord): void {
    if (!this.pending || this.waiters.length === 0) return
    const options = this.deps.options()
    const page = this.round ?? { address: options.address, ttlSeconds: options.sessionTtlSeconds }
    if (!sessionServes(record, page.address, page.ttlSeconds)) return
    // The other tab most likely used this round's challenge (it deleted the stored copy already).
    const challenge = this.round?.challenge
    if (challenge) this.deps.challenges.forget(challenge.id)
    this.finish(sessionLease(record))
  }

  private async startRound(): Promise<void> {
    const generation = ++this.generation
    this.starting = true
    try {
      const options = this.deps.options()
      // Another tab may have started a session since this request found none.
      const live = await this.deps.session.reload()
      if (generation !== this.generation) return
      if (live !== null && sessionServes(live, options.address, options.sessionTtlSeconds)) return this.finish(sessionLease(live))

      const target = await this.deps.targetKey()
      const ttlSeconds = options.sessionTtlSeconds
      const open = await this.deps.challenges.find({
        address: options.address,
        targetPublicKey: bytesToHex(target.publicKey),
        sessionTtlSeconds: ttlSeconds,
      })
      if (generation !== this.generation) return
      let challenge: { id: string; data: OtpRequiredData } | null = open === null ? null : { id: open.challengeId, data: open.data }
      let waitSeconds = 0
      if (challenge === null) {
        try {
          const response = await this.deps.backend.requestChallenge(this.auth, challengeBody(target, ttlSeconds))
          // Remembered before the generation check: a round cancelled meanwhile still emailed this code.
          challenge = { id: response.challengeId, data: this.remember(target, options.address, ttlSeconds, response) }
        } catch (error) {
          const seconds = rateLimitSeconds(error)
          // Headless: the host decides what to do with a rate limit; the vault prompt can wait it out.
          if (seconds === null || options.ui !== 'vault') throw error
          waitSeconds = seconds
        }
      }
      if (generation !== this.generation) return
      const round: Round = {
        mode: options.ui,
        ui: this.deps.ui(options.ui),
        target,
        challenge: null,
        expired: false,
        expiryTimer: null,
        ttlSeconds,
        address: options.address,
        busy: false,
      }
      this.round = round
      this.starting = false
      if (challenge === null) round.ui.openWaiting(waitSeconds)
      else round.ui.open(this.setChallenge(round, challenge.id, challenge.data))
    } catch (error) {
      if (generation === this.generation) this.abort(error)
    }
  }

  /** Keeps a challenge the backend just emailed as the open one; returns what the UI shows of it. */
  private remember(target: TargetKey, address: string, sessionTtlSeconds: number | null, challenge: ChallengeResponse): OtpRequiredData {
    const data = toOtpRequired(challenge)
    const targetPublicKey = bytesToHex(target.publicKey)
    const receivedAt = this.deps.clock.now()
    this.deps.challenges.remember({ v: 1, challengeId: challenge.challengeId, address, targetPublicKey, sessionTtlSeconds, data, receivedAt })
    return data
  }

  /** Puts a (new or reused) challenge into the round and arms its expiry timer. */
  private setChallenge(round: Round, id: string, data: OtpRequiredData): OtpRequiredData {
    round.challenge = { id, data }
    round.expired = false
    this.disarm(round)
    round.expiryTimer = this.deps.clock.setTimeout(
      () => {
        round.expiryTimer = null
        if (round === this.round && round.challenge?.data === data) this.expire(round)
      },
      Math.max(0, data.expiresAt - this.deps.clock.now()),
    )
    return data
  }

  private expire(round: Round): void {
    if (round.expired) return
    round.expired = true
    if (round.challenge !== null) this.deps.challenges.forget(round.challenge.id)
    this.disarm(round)
    round.ui.expired()
  }

  /** Hands the grant's key to the waiting requests. */
  private async release(round: Round, grant: AcceptedGrant): Promise<void> {
    if (grant.singleUse) {
      const first = this.waiters.shift()
      this.endRound()
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
    this.finish(sessionLease(record))
  }

  /** Ends the round (or its start) and releases every waiting request with `lease`. */
  private finish(lease: KeyLease): void {
    const waiters = this.waiters.splice(0)
    this.endRound()?.ui.close()
    for (const waiter of waiters) waiter.resolve(lease)
  }

  /** Keeps the open challenge in step with what the backend said about it. */
  private noteVerifyFailure(challengeId: string, error: unknown): void {
    if (!(error instanceof OtpWalletError)) return
    const left = error.details?.attemptsLeft
    if (error.code === 'OTP_INVALID' && typeof left === 'number') this.deps.challenges.updateAttempts(challengeId, left)
    // OTP_EXPIRED: used, superseded (another tab's resend), expired (410) or unknown (404).
    const dead = error.code === 'OTP_EXPIRED' || error.code === 'OTP_ATTEMPTS_EXCEEDED' || error.details?.status === 404
    if (dead) this.deps.challenges.forget(challengeId)
  }

  private async afterVerifyError(round: Round, error: unknown, spent: boolean): Promise<void> {
    const code = error instanceof OtpWalletError ? error.code : null
    // After a successful verify the challenge is spent: whatever failed, this round is over.
    if (spent) return this.abort(error)
    if (code === 'OTP_INVALID') {
      const left = error instanceof OtpWalletError ? error.details?.attemptsLeft : undefined
      if (typeof left === 'number' && round.challenge !== null) round.challenge.data = { ...round.challenge.data, attemptsLeft: left }
      if (left === 0) this.abort(new OtpWalletError('OTP_ATTEMPTS_EXCEEDED', 'Too many wrong codes; ask for a new code'))
      return
    }
    if (code === 'OTP_EXPIRED') return otpExpiredReason(error) === 'superseded' ? this.switchToNewer(round) : this.expire(round)
    if (code === 'OTP_ATTEMPTS_EXCEEDED') this.abort(error)
  }

  /**
   * The round's code was superseded: another tab sharing this storage asked for a new one (for
   * the same target key). If that tab remembered it, the round waits for it — the user types the
   * code from the latest email — instead of sending yet another code that would kill that one.
   */
  private async switchToNewer(round: Round): Promise<void> {
    const newer = await this.deps.challenges.find({
      address: round.address,
      targetPublicKey: bytesToHex(round.target.publicKey),
      sessionTtlSeconds: round.ttlSeconds,
    })
    if (round !== this.round) return
    if (newer === null || newer.challengeId === round.challenge?.id) return this.expire(round)
    round.ui.switched(this.setChallenge(round, newer.challengeId, newer.data))
  }

  private abort(error: unknown): void {
    const waiters = this.waiters.splice(0)
    this.endRound()?.ui.close()
    for (const waiter of waiters) waiter.reject(error)
  }

  /** Clears the round (and a round being started); returns the round that was running, if any. */
  private endRound(): Round | null {
    const round = this.round
    this.round = null
    this.starting = false
    this.generation++
    if (round !== null) this.disarm(round)
    return round
  }

  private disarm(round: Round): void {
    if (round.expiryTimer !== null) this.deps.clock.clearTimeout(round.expiryTimer)
    round.expiryTimer = null
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
