/**
 * An OtpWalletStore on SQLite (better-sqlite3 12): one file, WAL journal, schema created on open.
 *
 * Atomicity: every deciding method runs in a `BEGIN IMMEDIATE` transaction, which takes the
 * database's write lock up front — safe across several server processes sharing the file.
 * Durability: `synchronous = FULL`. A wallet row lost to a power cut after its address was
 * handed out would mean funds sent to a key nobody holds; the extra fsync is worth it.
 */
import Database from 'better-sqlite3'
import { OtpWalletError } from '../../protocol/errors.js'
import { retryAfterMs } from './challenge-limits.js'
import type { AttemptResult, ChallengeStatus, OtpWalletStore, StoredChallenge, StoredWallet } from './store.js'

const SCHEMA_VERSION = 2

const SCHEMA = `
CREATE TABLE IF NOT EXISTS wallets (
  id          TEXT PRIMARY KEY,
  user_id     TEXT UNIQUE,
  email       TEXT NOT NULL,
  address     TEXT NOT NULL,
  wrapped_key BLOB NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS wallets_email ON wallets (email, created_at);
CREATE UNIQUE INDEX IF NOT EXISTS wallets_one_unclaimed_per_email ON wallets (email) WHERE user_id IS NULL;

CREATE TABLE IF NOT EXISTS challenges (
  id                  TEXT PRIMARY KEY,
  user_id             TEXT NOT NULL,
  target_public_key   BLOB NOT NULL,
  code_mac            BLOB NOT NULL,
  session_ttl_seconds INTEGER NOT NULL,
  created_at          INTEGER NOT NULL,
  expires_at          INTEGER NOT NULL,
  sent_at             INTEGER,
  attempts            INTEGER NOT NULL,
  max_attempts        INTEGER NOT NULL,
  status              TEXT NOT NULL CHECK (status IN ('open', 'used', 'superseded'))
);
CREATE INDEX IF NOT EXISTS challenges_user_created ON challenges (user_id, created_at);
CREATE INDEX IF NOT EXISTS challenges_created ON challenges (created_at);
`

interface WalletRow {
  id: string
  user_id: string | null
  email: string
  address: string
  wrapped_key: Buffer
  created_at: number
}

interface ChallengeRow {
  id: string
  user_id: string
  target_public_key: Buffer
  code_mac: Buffer
  session_ttl_seconds: number
  created_at: number
  expires_at: number
  sent_at: number | null
  attempts: number
  max_attempts: number
  status: ChallengeStatus
}

const toWallet = (r: WalletRow): StoredWallet => ({
  id: r.id,
  userId: r.user_id,
  email: r.email,
  address: r.address,
  wrappedKey: new Uint8Array(r.wrapped_key),
  createdAt: r.created_at,
})

const toChallenge = (r: ChallengeRow): StoredChallenge => ({
  id: r.id,
  userId: r.user_id,
  targetPublicKey: new Uint8Array(r.target_public_key),
  codeMac: new Uint8Array(r.code_mac),
  sessionTtlSeconds: r.session_ttl_seconds,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  sentAt: r.sent_at,
  attempts: r.attempts,
  maxAttempts: r.max_attempts,
  status: r.status,
})

/**
 * Opens (creating if needed) the SQLite file at `path`.
 *
 * @example
 * const store = createSqliteStore('/var/lib/myapp/otp-wallet.sqlite')
 */
export function createSqliteStore(path: string): OtpWalletStore {
  if (typeof path !== 'string' || path === '') {
    throw new OtpWalletError('INVALID_CONFIG', 'store: createSqliteStore needs a file path', { details: { field: 'store' } })
  }
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('busy_timeout = 5000')
  const version = db.pragma('user_version', { simple: true }) as number
  if (version > SCHEMA_VERSION) {
    db.close()
    throw new OtpWalletError('INVALID_CONFIG', `store: ${path} has schema version ${version}, newer than this otp-wallet (${SCHEMA_VERSION})`, {
      details: { field: 'store' },
    })
  }
  db.transaction(() => {
    // Read again under the write lock: another process may have upgraded the file meanwhile.
    const current = db.pragma('user_version', { simple: true }) as number
    // Version 1 had no sent_at: its challenges were all sent (a failed send deleted its row).
    if (current === 1) db.exec('ALTER TABLE challenges ADD COLUMN sent_at INTEGER; UPDATE challenges SET sent_at = created_at')
    db.exec(SCHEMA)
    db.pragma(`user_version = ${SCHEMA_VERSION}`)
  }).immediate()

  const q = {
    walletByUser: db.prepare<[string], WalletRow>('SELECT * FROM wallets WHERE user_id = ?'),
    walletById: db.prepare<[string], WalletRow>('SELECT * FROM wallets WHERE id = ?'),
    oldestUnclaimed: db.prepare<[string], WalletRow>('SELECT * FROM wallets WHERE email = ? AND user_id IS NULL ORDER BY created_at, rowid LIMIT 1'),
    oldestByEmail: db.prepare<[string], WalletRow>('SELECT * FROM wallets WHERE email = ? ORDER BY created_at, rowid LIMIT 1'),
    claim: db.prepare<[string, string]>('UPDATE wallets SET user_id = ? WHERE id = ? AND user_id IS NULL'),
    insertWallet: db.prepare<[string, string | null, string, string, Buffer, number]>(
      'INSERT INTO wallets (id, user_id, email, address, wrapped_key, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    purge: db.prepare<[number, number]>('DELETE FROM challenges WHERE created_at <= ? AND expires_at <= ?'),
    recent: db.prepare<
      [string, number],
      Pick<ChallengeRow, 'target_public_key' | 'created_at' | 'expires_at' | 'attempts' | 'max_attempts' | 'status'>
    >(
      'SELECT target_public_key, created_at, expires_at, attempts, max_attempts, status FROM challenges WHERE user_id = ? AND created_at > ? ORDER BY created_at, rowid',
    ),
    markSent: db.prepare<{ id: string; sentAt: number }>('UPDATE challenges SET sent_at = :sentAt WHERE id = :id'),
    supersedeSent: db.prepare<{ id: string }>(
      `UPDATE challenges SET status = 'superseded'
       WHERE status = 'open' AND sent_at IS NOT NULL AND id != :id
         AND (user_id, target_public_key) = (SELECT user_id, target_public_key FROM challenges WHERE id = :id)`,
    ),
    insertChallenge: db.prepare<[string, string, Buffer, Buffer, number, number, number, number | null, number, number, ChallengeStatus]>(
      `INSERT INTO challenges (id, user_id, target_public_key, code_mac, session_ttl_seconds, created_at, expires_at, sent_at, attempts, max_attempts, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    deleteChallenge: db.prepare<[string]>('DELETE FROM challenges WHERE id = ?'),
    challengeById: db.prepare<[string], ChallengeRow>('SELECT * FROM challenges WHERE id = ?'),
    spendAttempt: db.prepare<[string]>('UPDATE challenges SET attempts = attempts + 1 WHERE id = ?'),
    markUsed: db.prepare<[string]>("UPDATE challenges SET status = 'used' WHERE id = ? AND status = 'open'"),
  }

  const insertWallet = (w: StoredWallet): void => {
    q.insertWallet.run(w.id, w.userId, w.email, w.address, Buffer.from(w.wrappedKey), w.createdAt)
  }

  const claimOrCreate = db.transaction((userId: string, candidate: StoredWallet): StoredWallet => {
    const own = q.walletByUser.get(userId)
    if (own !== undefined) return toWallet(own)
    const unclaimed = q.oldestUnclaimed.get(candidate.email)
    if (unclaimed !== undefined) {
      q.claim.run(userId, unclaimed.id)
      return toWallet({ ...unclaimed, user_id: userId })
    }
    insertWallet({ ...candidate, userId })
    return toWallet(q.walletById.get(candidate.id)!)
  })

  const pregenerate = db.transaction((candidate: StoredWallet): StoredWallet => {
    const existing = q.oldestByEmail.get(candidate.email)
    if (existing !== undefined) return toWallet(existing)
    insertWallet({ ...candidate, userId: null })
    return toWallet(q.walletById.get(candidate.id)!)
  })

  const insertChallenge = db.transaction((c: StoredChallenge, now: number, windowMs: number, maxPerWindow: number, resendMs: number) => {
    q.purge.run(now - windowMs, now)
    const recent = q.recent
      .all(c.userId, now - windowMs)
      .map((r) => ({
        targetPublicKey: r.target_public_key,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
        attempts: r.attempts,
        maxAttempts: r.max_attempts,
        status: r.status,
      }))
    const wait = retryAfterMs(recent, c.targetPublicKey, { now, windowMs, maxPerWindow, resendMs })
    if (wait > 0) return { ok: false as const, retryAfterMs: wait }
    q.insertChallenge.run(
      c.id,
      c.userId,
      Buffer.from(c.targetPublicKey),
      Buffer.from(c.codeMac),
      c.sessionTtlSeconds,
      c.createdAt,
      c.expiresAt,
      c.sentAt,
      c.attempts,
      c.maxAttempts,
      c.status,
    )
    return { ok: true as const }
  })

  const beginAttempt = db.transaction((id: string, userId: string, now: number): AttemptResult => {
    const row = q.challengeById.get(id)
    if (row === undefined || row.user_id !== userId) return { ok: false, reason: 'not_found' }
    if (row.status === 'used') return { ok: false, reason: 'used' }
    if (row.status === 'superseded') return { ok: false, reason: 'superseded' }
    if (row.attempts >= row.max_attempts) return { ok: false, reason: 'exhausted' }
    if (row.expires_at <= now) return { ok: false, reason: 'expired' }
    q.spendAttempt.run(id)
    return { ok: true, challenge: toChallenge({ ...row, attempts: row.attempts + 1 }) }
  })

  const markSent = db.transaction((id: string, sentAt: number) => {
    q.markSent.run({ id, sentAt })
    q.supersedeSent.run({ id })
  })

  let closed = false
  return {
    async findWalletByUserId(userId) {
      const row = q.walletByUser.get(userId)
      return row === undefined ? null : toWallet(row)
    },
    async claimOrCreateWallet(userId, candidate) {
      return claimOrCreate.immediate(userId, candidate)
    },
    async createPregeneratedWallet(candidate) {
      return pregenerate.immediate(candidate)
    },
    async insertChallenge(challenge, limits) {
      return insertChallenge.immediate(challenge, limits.now, limits.windowMs, limits.maxPerWindow, limits.resendMs)
    },
    async markChallengeSent(id, sentAt) {
      markSent.immediate(id, sentAt)
    },
    async deleteChallenge(id) {
      q.deleteChallenge.run(id)
    },
    async beginAttempt(id, userId, now) {
      return beginAttempt.immediate(id, userId, now)
    },
    async markChallengeUsed(id) {
      return q.markUsed.run(id).changes === 1
    },
    close() {
      if (closed) return
      closed = true
      db.close()
    },
  }
}
