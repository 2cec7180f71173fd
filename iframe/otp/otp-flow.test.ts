import { beforeAll, describe, expect, it, vi } from 'vitest'
import { hexToBytes } from '../../src/crypto/bytes.js'
import { OtpWalletError } from '../../src/protocol/errors.js'
import type { OtpRequiredData, UiMode } from '../../src/protocol/messages.js'
import { loadOrCreateTargetKey, type TargetKey } from '../keys/target-key.js'
import { SessionManager } from '../session/session-manager.js'
import { createMemoryStorage, type VaultStorage } from '../storage/vault-storage.js'
import { FakeBackend, FakeClock, fakeOpenGrant, flush, TEST_ADDRESS, TEST_PRIVATE_KEY } from '../testing/fakes.js'
import { OPEN_CHALLENGES_STORAGE_KEY, OpenChallenges, REUSE_MARGIN_MS } from './open-challenge.js'
import { OtpFlow, type KeyLease, type OtpUi } from './otp-flow.js'

// One target key for the file: generating it per test would make round starts slow and racy.
let target: TargetKey
beforeAll(async () => {
  target = await loadOrCreateTargetKey(createMemoryStorage())
})

function recordingUi() {
  const calls: Array<[string, (OtpRequiredData | number)?]> = []
  const ui: OtpUi = {
    open: (d) => calls.push(['open', d]),
    openWaiting: (seconds) => calls.push(['openWaiting', seconds]),
    update: (d) => calls.push(['update', d]),
    switched: (d) => calls.push(['switched', d]),
    expired: () => calls.push(['expired']),
    close: () => calls.push(['close']),
  }
  return { ui, calls }
}

function setup(opts: { ui?: UiMode; ttl?: number | null; storage?: VaultStorage; backend?: FakeBackend; clock?: FakeClock } = {}) {
  const backend = opts.backend ?? new FakeBackend()
  const storage = opts.storage ?? createMemoryStorage()
  const clock = opts.clock ?? new FakeClock()
  backend.now = () => clock.now()
  const session = new SessionManager({ storage, clock, onExpired: () => {}, log: () => {} })
  const { ui, calls } = recordingUi()
  const onSessionStarted = vi.fn()
  const options = { ui: opts.ui ?? 'headless', sessionTtlSeconds: opts.ttl === undefined ? null : opts.ttl, address: TEST_ADDRESS }
  const flow = new OtpFlow({
    backend,
    targetKey: async () => target,
    openGrant: fakeOpenGrant(backend),
    session,
    ui: () => ui,
    options: () => options,
    onSessionStarted,
    clock,
    challenges: new OpenChallenges(storage, clock),
  })
  const request = (auth: string | null = 'tok') => {
    const awaitingUser = vi.fn()
    const lease = flow.requestKey(auth, awaitingUser)
    const outcome = settle(lease)
    return { lease, awaitingUser, outcome }
  }
  return { backend, storage, clock, session, flow, calls, onSessionStarted, request, options }
}

/** Tracks a lease promise without leaving it unhandled. */
function settle(p: Promise<KeyLease>) {
  const state: { value?: KeyLease; error?: unknown; done: boolean } = { done: false }
  p.then(
    (value) => Object.assign(state, { value, done: true }),
    (error: unknown) => Object.assign(state, { error, done: true }),
  )
  return state
}

/** The ids of the open challenges in shared storage. */
async function storedIds(storage: VaultStorage): Promise<string[]> {
  const stored = (await storage.get(OPEN_CHALLENGES_STORAGE_KEY)) as Map<string, { challengeId: string }> | undefined
  return [...(stored?.values() ?? [])].map((c) => c.challengeId)
}

const keyHex = (lease: KeyLease) => lease.use((k) => '0x' + Buffer.from(k).toString('hex'))

describe('OtpFlow', () => {
  it('makes concurrent requests wait on ONE challenge and releases them all with a session', async () => {
    const { backend, flow, calls, onSessionStarted, request, session } = setup()
    const a = request()
    const b = request()
    await flush()
    const c = request() // arrives after the challenge is out
    await flush()
    expect(backend.challenges).toHaveLength(1)
    expect(calls.map(([k]) => k)).toEqual(['open'])
    for (const r of [a, b, c]) expect(r.awaitingUser).toHaveBeenCalledTimes(1)

    await flow.submit('012 345', 'tok', 'host')
    await flush()
    for (const r of [a, b, c]) {
      expect(r.outcome.done).toBe(true)
      expect(await keyHex(r.outcome.value!)).toBe(TEST_PRIVATE_KEY)
    }
    expect(backend.verifies).toEqual([{ challengeId: 'ch-1', code: '012345' }])
    expect(onSessionStarted).toHaveBeenCalledTimes(1)
    expect(session.current()).not.toBeNull()
    expect(calls.map(([k]) => k)).toEqual(['open', 'close'])
    expect(flow.pending).toBe(false)
  })

  it('sends the target key and the requested ttl with the challenge', async () => {
    const { backend, request } = setup({ ttl: 900 })
    request()
    await flush()
    expect(backend.challenges[0]).toEqual({ targetPublicKey: expect.stringMatching(/^0x04[0-9a-f]{128}$/), ttlSeconds: 900 })
    const other = setup()
    other.request()
    await flush()
    expect(other.backend.challenges[0]).not.toHaveProperty('ttlSeconds')
  })

  it('keeps the round on a wrong code and reports the attempts left', async () => {
    const { flow, request } = setup()
    const a = request()
    await flush()
    await expect(flow.submit('111111', null, 'host')).rejects.toMatchObject({ code: 'OTP_INVALID', details: { attemptsLeft: 2 } })
    expect(a.outcome.done).toBe(false)
    await flow.submit('012345', null, 'host')
    await flush()
    expect(a.outcome.value).toBeDefined()
  })

  it('rejects every waiting request when the attempts are used up', async () => {
    const { flow, request, calls } = setup()
    const a = request()
    const b = request()
    await flush()
    await expect(flow.submit('111111', null, 'host')).rejects.toMatchObject({ code: 'OTP_INVALID' })
    await expect(flow.submit('222222', null, 'host')).rejects.toMatchObject({ code: 'OTP_INVALID' })
    await expect(flow.submit('333333', null, 'host')).rejects.toMatchObject({ code: 'OTP_ATTEMPTS_EXCEEDED' })
    await flush()
    for (const r of [a, b]) expect(r.outcome.error).toMatchObject({ code: 'OTP_ATTEMPTS_EXCEEDED' })
    expect(calls.at(-1)?.[0]).toBe('close')
    await expect(flow.submit('012345', null, 'host')).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
  })

  it('keeps the round open when verify says the code expired: the user can ask for a new one', async () => {
    const { backend, flow, request, calls } = setup()
    const a = request()
    await flush()
    backend.verifyError = new OtpWalletError('OTP_EXPIRED', 'expired')
    await expect(flow.submit('012345', null, 'host')).rejects.toMatchObject({ code: 'OTP_EXPIRED' })
    await flush()
    expect(a.outcome.done).toBe(false)
    expect(calls.map(([k]) => k)).toEqual(['open', 'expired'])
    // Submitting again does not bother the backend: the code is known dead.
    await expect(flow.submit('012345', null, 'host')).rejects.toMatchObject({ code: 'OTP_EXPIRED' })
    expect(backend.verifies).toHaveLength(1)
    await flow.resend('tok', 'host')
    await flow.submit('012345', null, 'host')
    await flush()
    expect(a.outcome.value).toBeDefined()
  })

  it('tells the UI when the code expires, and refuses it afterwards without a backend call', async () => {
    const { backend, clock, flow, request, calls } = setup()
    const a = request()
    await flush()
    const { expiresAt } = calls[0]![1] as OtpRequiredData
    clock.advance(expiresAt - clock.now() - 1)
    expect(calls.map(([k]) => k)).toEqual(['open'])
    clock.advance(1)
    expect(calls.map(([k]) => k)).toEqual(['open', 'expired'])
    await expect(flow.submit('012345', null, 'host')).rejects.toMatchObject({ code: 'OTP_EXPIRED' })
    expect(backend.verifies).toHaveLength(0)
    expect(a.outcome.done).toBe(false) // the round waits for a new code
    expect(flow.pending).toBe(true)

    const times = await flow.resend(null, 'host')
    expect(times.expiresAt).toBeGreaterThan(clock.now())
    expect(calls.map(([k]) => k)).toEqual(['open', 'expired', 'update'])
    await flow.submit('012345', null, 'host')
    await flush()
    expect(a.outcome.value).toBeDefined()
    expect(clock.pendingTimers).toBe(1) // only the session's own timer is left
  })

  it('refuses a code past its expiry even when the timer has not fired yet (clock jumped)', async () => {
    const { backend, clock, flow, request, calls } = setup()
    request()
    await flush()
    clock.jump(600_000)
    await expect(flow.submit('012345', null, 'host')).rejects.toMatchObject({ code: 'OTP_EXPIRED' })
    expect(backend.verifies).toHaveLength(0)
    expect(calls.map(([k]) => k)).toEqual(['open', 'expired'])
  })

  it('does not fire a stale expiry after a resend replaced the code', async () => {
    const { clock, flow, request, calls } = setup()
    request()
    await flush()
    clock.advance(300_000)
    await flow.resend(null, 'host') // the new code lives 600 s from now
    clock.advance(599_999)
    expect(calls.map(([k]) => k)).toEqual(['open', 'update'])
    clock.advance(1)
    expect(calls.map(([k]) => k)).toEqual(['open', 'update', 'expired'])
  })

  it('keeps the round on a transient backend failure', async () => {
    const { backend, flow, request } = setup()
    const a = request()
    await flush()
    backend.verifyError = new OtpWalletError('BACKEND_ERROR', 'down', { details: { status: 503 } })
    await expect(flow.submit('012345', null, 'host')).rejects.toMatchObject({ code: 'BACKEND_ERROR' })
    expect(a.outcome.done).toBe(false)
    await flow.submit('012345', null, 'host')
    await flush()
    expect(a.outcome.value).toBeDefined()
  })

  it('treats a grant it cannot open as expired and ends the round', async () => {
    const { flow, request } = setup()
    const a = request()
    await flush()
    const openGrant = vi.fn(async () => {
      throw new OtpWalletError('OTP_EXPIRED', 'cannot open')
    })
    ;(flow as unknown as { deps: { openGrant: unknown } }).deps.openGrant = openGrant
    await expect(flow.submit('012345', null, 'host')).rejects.toMatchObject({ code: 'OTP_EXPIRED' })
    await flush()
    expect(a.outcome.error).toMatchObject({ code: 'OTP_EXPIRED' })
  })

  it('fails the waiting requests when the challenge cannot be created', async () => {
    const { backend, request, calls } = setup()
    backend.challengeError = new OtpWalletError('OTP_RATE_LIMITED', 'slow down', { details: { retryAfterSeconds: 30 } })
    const a = request()
    const b = request()
    await flush()
    for (const r of [a, b]) expect(r.outcome.error).toMatchObject({ code: 'OTP_RATE_LIMITED' })
    expect(calls.map(([k]) => k)).toEqual([])
  })

  it('vault prompt: a rate limit at the start opens the prompt with a countdown instead of failing', async () => {
    const { backend, flow, request, calls } = setup({ ui: 'vault' })
    backend.challengeError = new OtpWalletError('OTP_RATE_LIMITED', 'slow down', { details: { retryAfterSeconds: 25 } })
    const a = request()
    await flush()
    expect(a.outcome.done).toBe(false)
    expect(calls).toEqual([['openWaiting', 25]])
    await expect(flow.submit('012345', null, 'prompt')).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
    expect(backend.verifies).toHaveLength(0)

    backend.challengeError = null
    await flow.resend(null, 'prompt')
    expect(calls.map(([k]) => k)).toEqual(['openWaiting', 'update'])
    await flow.submit('012345', null, 'prompt')
    await flush()
    expect(a.outcome.value).toBeDefined()
    expect(calls.at(-1)?.[0]).toBe('close')
  })

  it('cancel with a reason rejects the waiting requests with it', async () => {
    const { flow, request } = setup()
    const a = request()
    await flush()
    flow.cancel(new OtpWalletError('ACCOUNT_CHANGED', 'other user'))
    await flush()
    expect(a.outcome.error).toMatchObject({ code: 'ACCOUNT_CHANGED' })
  })

  it('uses a session another tab stored instead of starting a round', async () => {
    const storage: VaultStorage = { ...createMemoryStorage(), kind: 'indexeddb' }
    const { backend, clock, request, calls } = setup({ storage })
    const otherTab = new SessionManager({ storage, clock, onExpired: () => {}, log: () => {} })
    await otherTab.start({ address: TEST_ADDRESS, privateKey: hexToBytes(TEST_PRIVATE_KEY, 'k'), durationMs: 60_000, singleUse: false })
    const a = request()
    await flush()
    expect(await keyHex(a.outcome.value!)).toBe(TEST_PRIVATE_KEY)
    expect(backend.challenges).toHaveLength(0)
    expect(calls).toEqual([])
  })

  it('offerSession: a session another tab started releases the waiting requests and closes the prompt', async () => {
    const { backend, clock, flow, request, calls } = setup()
    const a = request()
    const b = request()
    await flush()
    const otherTab = new SessionManager({ storage: createMemoryStorage(), clock, onExpired: () => {}, log: () => {} })
    const record = await otherTab.start({ address: TEST_ADDRESS, privateKey: hexToBytes(TEST_PRIVATE_KEY, 'k'), durationMs: 60_000, singleUse: false })
    flow.offerSession({ ...record, address: '0x' + '00'.repeat(20) }) // another account's: ignored
    await flush()
    expect(a.outcome.done).toBe(false)
    flow.offerSession(record)
    await flush()
    for (const r of [a, b]) expect(await keyHex(r.outcome.value!)).toBe(TEST_PRIVATE_KEY)
    expect(calls.map(([k]) => k)).toEqual(['open', 'close'])
    expect(flow.pending).toBe(false)
    expect(backend.verifies).toHaveLength(0)
    expect(clock.pendingTimers).toBe(1) // the code's expiry timer is gone; the other tab's session timer stays
  })

  it('a round that cannot even start rejects its waiters and does not stay pending', async () => {
    const { backend, session } = setup()
    const flow = new OtpFlow({
      backend,
      targetKey: async () => target,
      openGrant: fakeOpenGrant(backend),
      session,
      ui: () => recordingUi().ui,
      options: () => {
        throw new OtpWalletError('INTERNAL', 'not initialised')
      },
      onSessionStarted: () => {},
      clock: new FakeClock(),
      challenges: new OpenChallenges(createMemoryStorage(), new FakeClock()),
    })
    const outcome = settle(flow.requestKey('tok', () => {}))
    await flush()
    expect(outcome.error).toMatchObject({ code: 'INTERNAL' })
    expect(flow.pending).toBe(false)
  })

  it('cancel rejects every waiting request with USER_CANCELLED', async () => {
    const { flow, request, calls } = setup()
    const a = request()
    const b = request()
    await flush()
    flow.cancel()
    await flush()
    for (const r of [a, b]) expect(r.outcome.error).toMatchObject({ code: 'USER_CANCELLED' })
    expect(calls.map(([k]) => k)).toEqual(['open', 'close'])
    flow.cancel() // idempotent
  })

  it('cancel while the challenge is being created: no prompt opens afterwards', async () => {
    const { backend, flow, request, calls } = setup()
    backend.hold()
    const a = request()
    await flush()
    flow.cancel()
    backend.open()
    await flush()
    expect(a.outcome.error).toMatchObject({ code: 'USER_CANCELLED' })
    expect(calls).toEqual([])
    expect(flow.pending).toBe(false)
  })

  it('discards a verify that completes after cancel: no session behind the user back', async () => {
    const { backend, flow, request, session, onSessionStarted } = setup()
    request()
    await flush()
    backend.hold()
    const submitted = flow.submit('012345', null, 'host')
    await flush()
    flow.cancel()
    backend.open()
    await expect(submitted).rejects.toMatchObject({ code: 'USER_CANCELLED' })
    expect(session.current()).toBeNull()
    expect(onSessionStarted).not.toHaveBeenCalled()
  })

  it('single use: each request needs its own code, serially', async () => {
    const { backend, flow, request, session, calls, onSessionStarted } = setup({ ttl: 0 })
    backend.singleUse = true
    const a = request()
    const b = request()
    await flush()
    expect(backend.challenges).toHaveLength(1)
    await flow.submit('012345', null, 'host')
    await flush()
    expect(await keyHex(a.outcome.value!)).toBe(TEST_PRIVATE_KEY)
    await expect(keyHex(a.outcome.value!)).rejects.toMatchObject({ code: 'INTERNAL' }) // used once only
    expect(b.outcome.done).toBe(false)
    expect(backend.challenges).toHaveLength(2) // the next round started for b
    expect(session.current()).toBeNull()
    expect(onSessionStarted).not.toHaveBeenCalled()

    await flow.submit('012345', null, 'host')
    await flush()
    expect(await keyHex(b.outcome.value!)).toBe(TEST_PRIVATE_KEY)
    expect(backend.verifies.map((v) => v.challengeId)).toEqual(['ch-1', 'ch-2'])
    // One prompt per challenge; the UI stays open between them and closes once at the end.
    expect(calls.map(([k]) => k)).toEqual(['open', 'open', 'close'])
    expect(session.current()).toBeNull()
  })

  it('a single-use grant from a backend default (ttl not asked) also signs just one request', async () => {
    const { backend, flow, request } = setup({ ttl: null })
    backend.singleUse = true
    const a = request()
    const b = request()
    await flush()
    await flow.submit('012345', null, 'host')
    await flush()
    expect(a.outcome.value).toBeDefined()
    expect(b.outcome.done).toBe(false)
    expect(backend.challenges).toHaveLength(2)
  })

  it('resend replaces the challenge; the new code is verified against it', async () => {
    const { backend, flow, request, calls } = setup()
    const a = request()
    await flush()
    const times = await flow.resend('tok2', 'host')
    expect(times).toEqual({ resendAfter: expect.any(Number), expiresAt: expect.any(Number) })
    expect(calls.map(([k]) => k)).toEqual(['open', 'update'])
    await flow.submit('012345', null, 'host')
    await flush()
    expect(backend.verifies[0]?.challengeId).toBe('ch-2')
    expect(backend.auths.at(-1)).toBe('tok2') // the newest token is used
    expect(a.outcome.value).toBeDefined()
  })

  it('refuses submit/resend with nothing pending, a malformed code, or a second one in flight', async () => {
    const { backend, flow, request } = setup()
    await expect(flow.submit('012345', null, 'host')).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
    await expect(flow.resend(null, 'host')).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
    request()
    await flush()
    await expect(flow.submit(12345, null, 'host')).rejects.toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'code' } })
    await expect(flow.submit('12345', null, 'host')).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
    expect(backend.verifies).toHaveLength(0) // malformed codes cost no attempt
    backend.hold()
    const first = flow.submit('012345', null, 'host')
    await expect(flow.submit('012345', null, 'host')).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
    backend.open()
    await first
  })

  it("refuses host submits when the vault shows its own prompt (ui: 'vault')", async () => {
    const { flow, request } = setup({ ui: 'vault' })
    const a = request()
    await flush()
    await expect(flow.submit('012345', null, 'host')).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
    await expect(flow.resend(null, 'host')).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
    await flow.submit('012345', null, 'prompt')
    await flush()
    expect(a.outcome.value).toBeDefined()
  })
})

describe('OtpFlow: the open challenge is reused, not re-requested', () => {
  const kinds = (calls: ReturnType<typeof recordingUi>['calls']) => calls.map(([k]) => k)
  const shared = () => ({ storage: { ...createMemoryStorage(), kind: 'indexeddb' } as VaultStorage, backend: new FakeBackend(), clock: new FakeClock() })

  it('cancel, then sign again: the prompt shows the same code, with no second POST /otp/challenge', async () => {
    const { backend, flow, request, calls } = setup({ ui: 'vault' })
    const first = request()
    await flush()
    flow.cancel()
    await flush()
    expect(first.outcome.error).toMatchObject({ code: 'USER_CANCELLED' })
    const second = request()
    await flush()
    expect(backend.challenges).toHaveLength(1)
    expect(kinds(calls)).toEqual(['open', 'close', 'open'])
    expect(calls[2]![1]).toEqual(calls[0]![1]) // same expiry, attempts and resend time
    await flow.submit('012345', null, 'prompt')
    await flush()
    expect(second.outcome.value).toBeDefined()
    expect(backend.verifies.map((v) => v.challengeId)).toEqual(['ch-1'])
  })

  it('a cancel while the challenge was being created still leaves its code reusable', async () => {
    const { backend, flow, request } = setup()
    backend.hold()
    request()
    await flush()
    flow.cancel()
    backend.open()
    await flush()
    request()
    await flush()
    expect(backend.challenges).toHaveLength(1)
  })

  it('not within REUSE_MARGIN_MS of its expiry: then a new challenge is asked for', async () => {
    const { backend, clock, flow, request, calls } = setup()
    request()
    await flush()
    const { expiresAt } = calls[0]![1] as OtpRequiredData
    flow.cancel()
    clock.advance(expiresAt - REUSE_MARGIN_MS - 1 - clock.now())
    request()
    await flush()
    expect(backend.challenges).toHaveLength(1) // 30.001 s left: reused
    flow.cancel()
    clock.advance(1)
    request()
    await flush()
    expect(backend.challenges).toHaveLength(2)
  })

  it('a resend replaces it: the next round reuses the new code', async () => {
    const { backend, flow, request, calls } = setup()
    request()
    await flush()
    await flow.resend(null, 'host')
    flow.cancel()
    const a = request()
    await flush()
    expect(backend.challenges).toHaveLength(2)
    expect((calls.at(-1)![1] as OtpRequiredData).expiresAt).toBe(backend.now() + 600_000)
    await flow.submit('012345', null, 'host')
    await flush()
    expect(a.outcome.value).toBeDefined()
    expect(backend.verifies.map((v) => v.challengeId)).toEqual(['ch-2'])
  })

  it('remembers the attempts left; attempts exceeded forgets it', async () => {
    const { backend, flow, request, calls } = setup()
    request()
    await flush()
    await expect(flow.submit('111111', null, 'host')).rejects.toMatchObject({ code: 'OTP_INVALID' })
    flow.cancel()
    request()
    await flush()
    expect(backend.challenges).toHaveLength(1)
    expect((calls.at(-1)![1] as OtpRequiredData).attemptsLeft).toBe(2)
    await expect(flow.submit('222222', null, 'host')).rejects.toMatchObject({ code: 'OTP_INVALID' })
    await expect(flow.submit('333333', null, 'host')).rejects.toMatchObject({ code: 'OTP_ATTEMPTS_EXCEEDED' })
    request()
    await flush()
    expect(backend.challenges).toHaveLength(2)
  })

  it('a code the backend calls expired (or unknown) is forgotten', async () => {
    const { backend, flow, request } = setup()
    request()
    await flush()
    backend.verifyError = new OtpWalletError('OTP_EXPIRED', 'No such code request', { details: { status: 404 } })
    await expect(flow.submit('012345', null, 'host')).rejects.toMatchObject({ code: 'OTP_EXPIRED' })
    flow.cancel()
    request()
    await flush()
    expect(backend.challenges).toHaveLength(2)
  })

  it('a used code is forgotten: the next round after a single-use grant asks for a new one', async () => {
    const { backend, flow, request, storage } = setup({ ttl: 0, storage: shared().storage })
    backend.singleUse = true
    request()
    await flush()
    await flow.submit('012345', null, 'host')
    await flush()
    request()
    await flush()
    expect(backend.challenges).toHaveLength(2)
    expect(await storedIds(storage)).toEqual(['ch-2'])
  })

  it('is not reused for another requested ttl or another address', async () => {
    const { backend, flow, request, options } = setup({ ttl: 600 })
    request()
    await flush()
    flow.cancel()
    options.sessionTtlSeconds = 900
    request()
    await flush()
    expect(backend.challenges).toHaveLength(2)
    flow.cancel()
    options.address = '0x' + '11'.repeat(20)
    request()
    await flush()
    expect(backend.challenges).toHaveLength(3)
  })

  it('keeps one per address: a code sent for another account does not displace this one', async () => {
    const { storage, backend, clock } = shared()
    const a = setup({ storage, backend, clock })
    const b = setup({ storage, backend, clock })
    b.options.address = '0x' + '11'.repeat(20)
    a.request()
    await flush()
    a.flow.cancel()
    b.request() // another app user in another tab of the same site
    await flush()
    expect(backend.challenges).toHaveLength(2)
    a.request()
    await flush()
    expect(backend.challenges).toHaveLength(2)
    expect(a.calls.at(-1)).toEqual(['open', a.calls[0]![1]])
    expect(await storedIds(storage)).toEqual(['ch-1', 'ch-2'])
  })

  it('memory mode: reused within the tab, never stored, so another tab asks for its own', async () => {
    const { backend, clock } = shared()
    const a = setup({ backend, clock })
    a.request()
    await flush()
    a.flow.cancel()
    a.request()
    await flush()
    expect(backend.challenges).toHaveLength(1)
    expect(await a.storage.get(OPEN_CHALLENGES_STORAGE_KEY)).toBeUndefined()
    const b = setup({ backend, clock })
    b.request()
    await flush()
    expect(backend.challenges).toHaveLength(2)
  })

  it('another tab (shared storage) shows the code already sent; when the first tab verifies, its prompt just closes', async () => {
    const { storage, backend, clock } = shared()
    const a = setup({ ui: 'vault', storage, backend, clock })
    const b = setup({ ui: 'vault', storage, backend, clock })
    const inA = a.request()
    await flush()
    const inB = b.request()
    await flush()
    expect(backend.challenges).toHaveLength(1)
    expect(b.calls).toEqual([['open', a.calls[0]![1]]])

    await a.flow.submit('012345', null, 'prompt')
    await flush()
    expect(inA.outcome.value).toBeDefined()
    expect(await storage.get(OPEN_CHALLENGES_STORAGE_KEY)).toBeUndefined()
    // The session_started broadcast makes tab b adopt the session (vault.ts: onAdopted → offerSession).
    b.flow.offerSession((await b.session.reload())!)
    await flush()
    expect(await keyHex(inB.outcome.value!)).toBe(TEST_PRIVATE_KEY)
    expect(kinds(b.calls)).toEqual(['open', 'close'])
    expect(backend.verifies).toHaveLength(1)
  })

  it('another tab that resent meanwhile: the superseded code fails OTP_EXPIRED and the round switches to the newer code', async () => {
    const { storage, backend, clock } = shared()
    const a = setup({ storage, backend, clock })
    const b = setup({ storage, backend, clock })
    a.request()
    await flush()
    const inB = b.request()
    await flush()
    await a.flow.resend(null, 'host') // kills ch-1, which b shows
    await flush()
    await expect(b.flow.submit('012345', null, 'host')).rejects.toMatchObject({ code: 'OTP_EXPIRED', details: { reason: 'superseded' } })
    expect(kinds(b.calls)).toEqual(['open', 'switched'])
    expect(b.calls[1]![1]).toEqual(a.calls.at(-1)![1]) // the data of a's resend
    expect(await storedIds(storage)).toEqual(['ch-2']) // b forgot ch-1 only
    await b.flow.submit('012345', null, 'host') // the code from the latest email
    await flush()
    expect(inB.outcome.value).toBeDefined()
    expect(backend.challenges).toHaveLength(2)
  })

  it('a superseded code with no newer one to switch to (another ttl) expires the round and offers Resend', async () => {
    const { storage, backend, clock } = shared()
    const a = setup({ storage, backend, clock, ttl: 600 })
    const b = setup({ storage, backend, clock, ttl: 900 })
    a.request()
    await flush()
    clock.jump(30_000)
    const inB = b.request() // another ttl: its own code, which supersedes a's
    await flush()
    expect(backend.challenges).toHaveLength(2)
    await expect(a.flow.submit('012345', null, 'host')).rejects.toMatchObject({ code: 'OTP_EXPIRED', details: { reason: 'superseded' } })
    expect(kinds(a.calls)).toEqual(['open', 'expired'])
    expect(inB.outcome.done).toBe(false)
  })

  it('another tab sees the attempts left after a wrong code', async () => {
    const { storage, backend, clock } = shared()
    const a = setup({ storage, backend, clock })
    a.request()
    await flush()
    await expect(a.flow.submit('111111', null, 'host')).rejects.toMatchObject({ code: 'OTP_INVALID' })
    await flush()
    const b = setup({ storage, backend, clock })
    b.request()
    await flush()
    expect((b.calls[0]![1] as OtpRequiredData).attemptsLeft).toBe(2)
    expect(backend.challenges).toHaveLength(1)
  })
})
