/** Test doubles shared by the vault's unit tests (never bundled: nothing in main.ts imports this). */
import { computeAddress } from 'ethers/transaction'
import type { ChallengeRequest, ChallengeResponse, GrantPayload, VerifyRequest } from '../../src/protocol/backend.js'
import { OtpWalletError } from '../../src/protocol/errors.js'
import type { BackendClient } from '../backend-client.js'
import type { Clock } from '../session/clock.js'
import type { SessionChannel } from '../session/session-channel.js'

/** A wallet key for tests (never used anywhere real). */
export const TEST_PRIVATE_KEY = '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318'
export const TEST_ADDRESS = computeAddress(TEST_PRIVATE_KEY)

/**
 * Wall clock and timers under test control. advance() moves time and fires due timers, as real
 * time does; jump() moves only the wall clock (the user changed the system time) — timers,
 * like real ones, keep counting from when they were set.
 */
export class FakeClock implements Clock {
  wall = 1_700_000_000_000
  private monotonic = 0
  private nextId = 1
  private timers = new Map<number, { at: number; fn: () => void }>()

  now(): number {
    return this.wall
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++
    this.timers.set(id, { at: this.monotonic + ms, fn })
    return id
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number)
  }
  advance(ms: number): void {
    const end = this.monotonic + ms
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0]
      if (due === undefined) break
      this.timers.delete(due[0])
      this.wall += due[1].at - this.monotonic
      this.monotonic = due[1].at
      due[1].fn()
    }
    this.wall += end - this.monotonic
    this.monotonic = end
  }
  jump(ms: number): void {
    this.wall += ms
  }
  get pendingTimers(): number {
    return this.timers.size
  }
}

export function challengeResponse(overrides: Partial<ChallengeResponse> = {}, n = 1): ChallengeResponse {
  return {
    challengeId: `ch-${n}`,
    emailHint: 'j***@example.com',
    codeFormat: 'digits',
    codeLength: 6,
    attemptsLeft: 3,
    expiresAt: 1_700_000_600_000,
    resendAfter: 1_700_000_030_000,
    serverTime: 1_700_000_000_000,
    ...overrides,
  }
}

/**
 * A BackendClient whose OTP "sealing" is a lookup table: verify returns a fake sealed grant
 * `{ enc: challengeId, ciphertext: 'ok' }`, and fakeOpenGrant turns it into a payload.
 */
export class FakeBackend implements BackendClient {
  challenges: ChallengeRequest[] = []
  verifies: VerifyRequest[] = []
  auths: Array<string | null> = []
  code = '012345'
  attemptsLeft = 3
  ttlMs = 60_000
  singleUse = false
  /** Make the next verify fail with this error (once). */
  verifyError: OtpWalletError | null = null
  challengeError: OtpWalletError | null = null
  /** The clock challenge times are computed from (tests point it at their FakeClock). */
  now: () => number = () => 1_700_000_000_000
  private n = 0
  private gate: Promise<void> = Promise.resolve()
  private release: (() => void) | null = null

  /** Holds every backend call until open() is called. */
  hold(): void {
    this.gate = new Promise((resolve) => (this.release = resolve))
  }
  open(): void {
    this.release?.()
    this.gate = Promise.resolve()
  }

  async getWallet(auth: string | null) {
    this.auths.push(auth)
    await this.gate
    return { address: TEST_ADDRESS, session: { ttlSeconds: 3600, maxTtlSeconds: 86_400 } }
  }
  async requestChallenge(auth: string | null, body: ChallengeRequest) {
    this.auths.push(auth)
    this.challenges.push(body)
    await this.gate
    if (this.challengeError !== null) throw this.challengeError
    this.n++
    this.attemptsLeft = 3
    const now = this.now()
    return challengeResponse({ expiresAt: now + 600_000, resendAfter: now + 30_000, serverTime: now }, this.n)
  }
  async verify(auth: string | null, body: VerifyRequest) {
    this.auths.push(auth)
    this.verifies.push(body)
    await this.gate
    const failure = this.verifyError
    this.verifyError = null
    if (failure !== null) throw failure
    if (body.challengeId !== `ch-${this.n}`) {
      throw new OtpWalletError('OTP_EXPIRED', 'A newer code was requested', { details: { status: 410, reason: 'superseded' } })
    }
    if (body.code !== this.code) {
      this.attemptsLeft--
      if (this.attemptsLeft === 0) throw new OtpWalletError('OTP_ATTEMPTS_EXCEEDED', 'too many')
      throw new OtpWalletError('OTP_INVALID', 'wrong code', { details: { attemptsLeft: this.attemptsLeft } })
    }
    return { grant: { enc: body.challengeId, ciphertext: this.singleUse ? 'single' : 'session' } }
  }
  /** The payload a real backend would seal; the test's openGrant returns it. */
  payload(challengeId: string, singleUse: boolean): GrantPayload {
    const issuedAt = 5_000_000 // the backend's clock: far from the browser's on purpose
    return {
      v: 1,
      challengeId,
      address: TEST_ADDRESS,
      privateKey: TEST_PRIVATE_KEY,
      issuedAt,
      expiresAt: issuedAt + (singleUse ? 0 : this.ttlMs),
      singleUse,
    }
  }
}

/** An openGrant for FakeBackend's fake sealed grants. */
export function fakeOpenGrant(backend: FakeBackend) {
  return async (_recipient: CryptoKeyPair, _pub: Uint8Array, challengeId: string, sealed: { enc: string; ciphertext: string }) => {
    if (sealed.enc !== challengeId) throw new OtpWalletError('OTP_EXPIRED', 'cannot open')
    return backend.payload(challengeId, sealed.ciphertext === 'single')
  }
}

/**
 * BroadcastChannel stand-ins for several vault tabs: a message posted on one channel reaches every
 * OTHER channel of the hub (never the sender, as in browsers), asynchronously, as a clone.
 */
export class FakeChannelHub {
  readonly sent: unknown[] = []
  private readonly listeners = new Map<SessionChannel, Array<(event: { data: unknown }) => void>>()

  channel(): SessionChannel {
    const channel: SessionChannel = {
      postMessage: (message) => {
        this.sent.push(message)
        for (const [other, listeners] of this.listeners) {
          if (other === channel) continue
          const data = structuredClone(message)
          setImmediate(() => listeners.forEach((listener) => listener({ data })))
        }
      },
      addEventListener: (_type, listener) => this.listeners.get(channel)!.push(listener),
    }
    this.listeners.set(channel, [])
    return channel
  }
}

/** Lets pending promise callbacks run. */
export async function flush(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}
