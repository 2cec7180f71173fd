/** The OtpWalletStore contract, run against both implementations, plus SQLite specifics. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { retryAfterMs } from '../../../src/server/stores/challenge-limits.js'
import { createSqliteStore } from '../../../src/server/stores/sqlite-store.js'
import type { OtpWalletStore, StoredChallenge, StoredWallet } from '../../../src/server/stores/store.js'
import { json, makeHarness, STORE_FACTORIES, targetKey } from './helpers.js'

const DAY = 86_400_000
const T0 = 1_736_942_400_000
const KEY_A = new Uint8Array(65).fill(4)
const KEY_B = new Uint8Array(65).fill(5)

function wallet(id: string, email: string, userId: string | null = null, createdAt = T0): StoredWallet {
  return { id, userId, email, address: `0x${id.padStart(40, '0')}`, wrappedKey: new Uint8Array(61).fill(id.length), createdAt }
}

function challenge(id: string, userId: string, createdAt = T0, extra: Partial<StoredChallenge> = {}): StoredChallenge {
  return {
    id,
    userId,
    targetPublicKey: KEY_A,
    codeMac: new Uint8Array(32).fill(9),
    sessionTtlSeconds: 3600,
    createdAt,
    expiresAt: createdAt + 600_000,
    sentAt: null,
    attempts: 0,
    maxAttempts: 3,
    status: 'open',
    ...extra,
  }
}

const limits = (now: number, extra: Partial<{ maxPerWindow: number; resendMs: number }> = {}) => ({
  now,
  windowMs: DAY,
  maxPerWindow: extra.maxPerWindow ?? 20,
  resendMs: extra.resendMs ?? 30_000,
})

/** Challenges for KEY_A created at `times`, still open (attempts left, unexpired at T0), unless `extra` says otherwise. */
const recent = (times: number[], extra: Partial<StoredChallenge> = {}) =>
  times.map((t) => ({ targetPublicKey: KEY_A, createdAt: t, expiresAt: t + 600_000, attempts: 0, maxAttempts: 3, status: 'open' as const, ...extra }))

describe('retryAfterMs', () => {
  it('is 0 when under both limits', () => {
    expect(retryAfterMs([], KEY_A, limits(T0))).toBe(0)
    expect(retryAfterMs(recent([T0 - 31_000]), KEY_A, limits(T0))).toBe(0)
  })
  it('resend cooldown counts from the latest challenge while it is outstanding', () => {
    expect(retryAfterMs(recent([T0 - 100_000, T0 - 10_000]), KEY_A, limits(T0))).toBe(20_000)
    expect(retryAfterMs(recent([T0 - 10_000], { attempts: 2 }), KEY_A, limits(T0))).toBe(20_000) // attempts left
  })
  it('no resend cooldown once the latest code was used, died of wrong attempts, or expired', () => {
    expect(retryAfterMs(recent([T0 - 10_000], { status: 'used' }), KEY_A, limits(T0))).toBe(0)
    expect(retryAfterMs(recent([T0 - 10_000], { attempts: 3 }), KEY_A, limits(T0))).toBe(0)
    expect(retryAfterMs(recent([T0 - 10_000], { expiresAt: T0 }), KEY_A, limits(T0))).toBe(0)
    // only the latest counts: an older open one for the same key is superseded once the new one is sent
    const [older, latest] = recent([T0 - 20_000, T0 - 10_000])
    expect(retryAfterMs([older!, { ...latest!, status: 'used' }], KEY_A, limits(T0))).toBe(0)
  })
  it('the cooldown is per target key: a code for another key neither waits nor makes others wait', () => {
    const forB = recent([T0 - 10_000], { targetPublicKey: KEY_B })
    expect(retryAfterMs(forB, KEY_A, limits(T0))).toBe(0)
    expect(retryAfterMs([...recent([T0 - 20_000]), ...forB], KEY_A, limits(T0))).toBe(10_000)
    expect(retryAfterMs([...recent([T0 - 20_000]), ...forB], KEY_B, limits(T0))).toBe(20_000)
  })
  it('the daily cap counts every target key', () => {
    const mixed = [...recent([T0 - 5000], { status: 'used' }), ...recent([T0 - 4000], { targetPublicKey: KEY_B, status: 'used' })]
    expect(retryAfterMs(mixed, KEY_A, limits(T0, { maxPerWindow: 2 }))).toBe(DAY - 5000)
  })
  it('window limit counts from the challenge whose exit frees a slot, whatever became of them', () => {
    const times = [T0 - 5000, T0 - 4000, T0 - 3000]
    expect(retryAfterMs(recent(times), KEY_A, limits(T0, { maxPerWindow: 3, resendMs: 0 }))).toBe(DAY - 5000)
    expect(retryAfterMs(recent(times), KEY_A, limits(T0, { maxPerWindow: 2, resendMs: 0 }))).toBe(DAY - 4000)
    expect(retryAfterMs(recent(times, { status: 'used' }), KEY_A, limits(T0, { maxPerWindow: 3 }))).toBe(DAY - 5000)
  })
  it('the larger wait wins', () => {
    expect(retryAfterMs(recent([T0 - 1000]), KEY_A, limits(T0, { maxPerWindow: 1, resendMs: 30_000 }))).toBe(DAY - 1000)
  })
})

describe.each(STORE_FACTORIES)('OtpWalletStore contract ($name)', (factory) => {
  let store: OtpWalletStore
  let cleanup: () => void
  beforeEach(() => {
    ;({ store, cleanup } = factory.create())
  })
  afterEach(() => {
    store.close()
    cleanup()
  })

  it('claimOrCreateWallet: own wallet, else the oldest unclaimed for the email, else the candidate', async () => {
    expect(await store.findWalletByUserId('u1')).toBeNull()
    const created = await store.claimOrCreateWallet('u1', wallet('a1', 'x@example.com', 'u1'))
    expect(created).toMatchObject({ id: 'a1', userId: 'u1' })
    expect(created.wrappedKey).toEqual(new Uint8Array(61).fill(2))
    expect((await store.claimOrCreateWallet('u1', wallet('a2', 'x@example.com', 'u1'))).id).toBe('a1')

    await store.createPregeneratedWallet(wallet('p1', 'y@example.com', null, T0))
    const claimed = await store.claimOrCreateWallet('u2', wallet('c1', 'y@example.com', 'u2'))
    expect(claimed).toMatchObject({ id: 'p1', userId: 'u2' })
    expect((await store.findWalletByUserId('u2'))?.id).toBe('p1')
    // already claimed: the next user with that email gets their own
    expect((await store.claimOrCreateWallet('u3', wallet('c2', 'y@example.com', 'u3'))).id).toBe('c2')
  })

  it('createPregeneratedWallet returns an existing wallet for the email', async () => {
    expect((await store.createPregeneratedWallet(wallet('p1', 'z@example.com'))).id).toBe('p1')
    expect((await store.createPregeneratedWallet(wallet('p2', 'z@example.com'))).id).toBe('p1')
  })

  it('returned records are copies', async () => {
    const w = await store.claimOrCreateWallet('u1', wallet('a1', 'x@example.com', 'u1'))
    w.wrappedKey.fill(0)
    expect((await store.findWalletByUserId('u1'))!.wrappedKey[0]).toBe(2)
  })

  it('insertChallenge retires nothing; markChallengeSent retires the sent codes of the same user and target key only', async () => {
    const forB = { targetPublicKey: KEY_B }
    expect(await store.insertChallenge(challenge('c1', 'u1'), limits(T0))).toEqual({ ok: true })
    await store.markChallengeSent('c1', T0)
    expect(await store.insertChallenge(challenge('b1', 'u1', T0, forB), limits(T0))).toEqual({ ok: true }) // no cooldown across keys
    await store.markChallengeSent('b1', T0)
    expect(await store.insertChallenge(challenge('d1', 'u2'), limits(T0))).toEqual({ ok: true })
    await store.markChallengeSent('d1', T0)
    const later = T0 + 60_000
    expect(await store.insertChallenge(challenge('c2', 'u1', later), limits(later))).toEqual({ ok: true })
    expect((await store.beginAttempt('c1', 'u1', later)).ok).toBe(true) // still open until the new code is sent

    await store.markChallengeSent('c2', later)
    expect(await store.beginAttempt('c1', 'u1', later)).toEqual({ ok: false, reason: 'superseded' })
    const c2 = await store.beginAttempt('c2', 'u1', later)
    expect(c2.ok && c2.challenge.sentAt).toBe(later)
    expect((await store.beginAttempt('b1', 'u1', later)).ok).toBe(true) // another target key
    expect((await store.beginAttempt('d1', 'u2', later)).ok).toBe(true) // another user
    await store.markChallengeSent('missing', later)
    expect((await store.beginAttempt('c2', 'u1', later)).ok).toBe(true)
  })

  it('two sends in flight: the code whose email went out last is the one that works', async () => {
    await store.insertChallenge(challenge('c1', 'u1'), limits(T0, { resendMs: 0 }))
    await store.insertChallenge(challenge('c2', 'u1'), limits(T0, { resendMs: 0 })) // same millisecond
    await store.markChallengeSent('c2', T0 + 10) // c2's email first: c1 is still being sent, so it stays
    expect((await store.beginAttempt('c1', 'u1', T0 + 10)).ok).toBe(true)
    await store.markChallengeSent('c1', T0 + 300) // c1's email last
    expect(await store.beginAttempt('c2', 'u1', T0 + 300)).toEqual({ ok: false, reason: 'superseded' })
    expect((await store.beginAttempt('c1', 'u1', T0 + 300)).ok).toBe(true)
  })

  it('markChallengeSent leaves used challenges used', async () => {
    await store.insertChallenge(challenge('c1', 'u1'), limits(T0))
    await store.markChallengeSent('c1', T0)
    expect(await store.markChallengeUsed('c1')).toBe(true)
    await store.insertChallenge(challenge('c2', 'u1', T0 + 1000), limits(T0 + 1000))
    await store.markChallengeSent('c2', T0 + 1000)
    expect(await store.beginAttempt('c1', 'u1', T0 + 1000)).toEqual({ ok: false, reason: 'used' })
  })

  it('insertChallenge refuses within the resend gap and past the daily limit', async () => {
    await store.insertChallenge(challenge('c1', 'u1'), limits(T0))
    expect(await store.insertChallenge(challenge('c2', 'u1', T0 + 1000), limits(T0 + 1000))).toEqual({ ok: false, retryAfterMs: 29_000 })
    for (let i = 1; i < 3; i++) {
      expect((await store.insertChallenge(challenge(`c${i + 1}`, 'u1', T0 + i * 60_000), limits(T0 + i * 60_000, { maxPerWindow: 3 }))).ok).toBe(true)
    }
    const now = T0 + 3 * 60_000
    expect(await store.insertChallenge(challenge('c9', 'u1', now), limits(now, { maxPerWindow: 3 }))).toEqual({ ok: false, retryAfterMs: DAY - 3 * 60_000 })
    // deleted challenges do not count
    await store.deleteChallenge('c3')
    expect((await store.insertChallenge(challenge('c9', 'u1', now), limits(now, { maxPerWindow: 3 }))).ok).toBe(true)
  })

  it('insertChallenge: the resend gap holds only while the latest challenge is outstanding', async () => {
    // used
    await store.insertChallenge(challenge('u1', 'a'), limits(T0))
    expect((await store.beginAttempt('u1', 'a', T0 + 1000)).ok).toBe(true)
    expect(await store.markChallengeUsed('u1')).toBe(true)
    expect(await store.insertChallenge(challenge('u2', 'a', T0 + 2000), limits(T0 + 2000))).toEqual({ ok: true })
    // …and the new one is outstanding again
    expect(await store.insertChallenge(challenge('u3', 'a', T0 + 3000), limits(T0 + 3000))).toEqual({ ok: false, retryAfterMs: 29_000 })

    // exhausted
    await store.insertChallenge(challenge('x1', 'b'), limits(T0))
    for (let i = 0; i < 2; i++) await store.beginAttempt('x1', 'b', T0 + 1000)
    expect(await store.insertChallenge(challenge('x2', 'b', T0 + 2000), limits(T0 + 2000))).toEqual({ ok: false, retryAfterMs: 28_000 })
    await store.beginAttempt('x1', 'b', T0 + 2000)
    expect(await store.insertChallenge(challenge('x2', 'b', T0 + 2000), limits(T0 + 2000))).toEqual({ ok: true })

    // expired
    await store.insertChallenge(challenge('e1', 'c', T0, { expiresAt: T0 + 10_000 }), limits(T0))
    expect((await store.insertChallenge(challenge('e2', 'c', T0 + 9999), limits(T0 + 9999))).ok).toBe(false)
    expect(await store.insertChallenge(challenge('e2', 'c', T0 + 10_000), limits(T0 + 10_000))).toEqual({ ok: true })

    // the daily cap counts used challenges too
    expect(await store.insertChallenge(challenge('u4', 'a', T0 + 60_000), limits(T0 + 60_000, { maxPerWindow: 2 }))).toEqual({
      ok: false,
      retryAfterMs: DAY - 60_000,
    })
  })

  it('beginAttempt: refusal order and counting', async () => {
    await store.insertChallenge(challenge('c1', 'u1'), limits(T0))
    expect(await store.beginAttempt('nope', 'u1', T0)).toEqual({ ok: false, reason: 'not_found' })
    expect(await store.beginAttempt('c1', 'u2', T0)).toEqual({ ok: false, reason: 'not_found' })
    const first = await store.beginAttempt('c1', 'u1', T0)
    expect(first.ok && first.challenge.attempts).toBe(1)
    expect(first.ok && first.challenge.codeMac).toEqual(new Uint8Array(32).fill(9))
    await store.beginAttempt('c1', 'u1', T0)
    await store.beginAttempt('c1', 'u1', T0)
    expect(await store.beginAttempt('c1', 'u1', T0)).toEqual({ ok: false, reason: 'exhausted' })

    await store.insertChallenge(challenge('e1', 'u9'), limits(T0))
    expect(await store.beginAttempt('e1', 'u9', T0 + 600_000)).toEqual({ ok: false, reason: 'expired' })

    await store.insertChallenge(challenge('m1', 'u8'), limits(T0))
    expect(await store.markChallengeUsed('m1')).toBe(true)
    expect(await store.markChallengeUsed('m1')).toBe(false)
    expect(await store.beginAttempt('m1', 'u8', T0)).toEqual({ ok: false, reason: 'used' })
  })
})

describe('SQLite store specifics', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'otp-wallet-sqlite-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('creates the schema, uses WAL, and keeps data across reopen', async () => {
    const file = path.join(dir, 'w.sqlite')
    const a = createSqliteStore(file)
    await a.claimOrCreateWallet('u1', wallet('a1', 'x@example.com', 'u1'))
    a.close()
    const b = createSqliteStore(file)
    expect((await b.findWalletByUserId('u1'))?.id).toBe('a1')
    b.close()
    const db = new Database(file, { readonly: true })
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('user_version', { simple: true })).toBe(2)
    db.close()
  })

  it('upgrades a version-1 database: its challenges count as sent, so a resend still retires them', async () => {
    const file = path.join(dir, 'v1.sqlite')
    const v1 = new Database(file)
    v1.exec(`CREATE TABLE challenges (
      id TEXT PRIMARY KEY, user_id TEXT NOT NULL, target_public_key BLOB NOT NULL, code_mac BLOB NOT NULL,
      session_ttl_seconds INTEGER NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL, max_attempts INTEGER NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('open', 'used', 'superseded')))`)
    v1.prepare('INSERT INTO challenges VALUES (?, ?, ?, ?, 3600, ?, ?, 0, 3, ?)').run('old', 'u1', Buffer.from(KEY_A), Buffer.alloc(32, 9), T0, T0 + 600_000, 'open')
    v1.pragma('user_version = 1')
    v1.close()

    const store = createSqliteStore(file)
    await store.insertChallenge(challenge('new', 'u1', T0 + 60_000), limits(T0 + 60_000))
    await store.markChallengeSent('new', T0 + 60_000)
    expect(await store.beginAttempt('old', 'u1', T0 + 60_000)).toEqual({ ok: false, reason: 'superseded' })
    store.close()
    const db = new Database(file, { readonly: true })
    expect(db.pragma('user_version', { simple: true })).toBe(2)
    expect(db.prepare('SELECT sent_at FROM challenges WHERE id = ?').get('old')).toEqual({ sent_at: T0 })
    db.close()
  })

  it('refuses a database from a newer schema', () => {
    const file = path.join(dir, 'future.sqlite')
    const db = new Database(file)
    db.pragma('user_version = 99')
    db.close()
    expect(() => createSqliteStore(file)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
  })

  it('stores only the MAC of a code, and only wrapped keys', async () => {
    const file = path.join(dir, 'mac.sqlite')
    const h = makeHarness(createSqliteStore(file))
    const target = await targetKey()
    const res = await h.post('/otp/challenge', { targetPublicKey: target.hex })
    expect(res.status).toBe(200)
    const { challengeId } = await json(res)
    const code = h.mailer.last().code

    const db = new Database(file, { readonly: true })
    const rows = db.prepare('SELECT * FROM challenges').all() as Record<string, unknown>[]
    expect(rows).toHaveLength(1)
    expect(rows[0]!.id).toBe(challengeId)
    expect((rows[0]!.code_mac as Buffer).length).toBe(32)
    const dump = JSON.stringify(rows, (_, v) => (v?.type === 'Buffer' ? Buffer.from(v.data).toString('latin1') : v))
    expect(dump).not.toContain(code)
    expect(db.prepare('SELECT count(*) AS n FROM wallets').get()).toEqual({ n: 0 }) // a challenge creates no wallet
    db.close()

    expect((await h.get('/wallet')).status).toBe(200)
    const db2 = new Database(file, { readonly: true })
    const wallets = db2.prepare('SELECT * FROM wallets').all() as Record<string, unknown>[]
    expect(wallets).toHaveLength(1)
    expect(Object.keys(wallets[0]!).sort()).toEqual(['address', 'created_at', 'email', 'id', 'user_id', 'wrapped_key'])
    expect((wallets[0]!.wrapped_key as Buffer).length).toBe(61)
    db2.close()
    h.server.close()
  })
})
