/**
 * An in-memory OtpWalletStore for tests and demos. Everything is lost on restart — including
 * wallet keys, so never use it where real funds could arrive.
 *
 * Atomicity: each method does its whole read-decide-write without an `await` in between, so
 * on the single JavaScript thread no other call can interleave.
 */
import { equalBytes } from '../../crypto/bytes.js'
import { retryAfterMs } from './challenge-limits.js'
import type { AttemptResult, ChallengeLimits, InsertChallengeResult, OtpWalletStore, StoredChallenge, StoredWallet } from './store.js'

const copyWallet = (w: StoredWallet): StoredWallet => ({ ...w, wrappedKey: new Uint8Array(w.wrappedKey) })
const copyChallenge = (c: StoredChallenge): StoredChallenge => ({
  ...c,
  targetPublicKey: new Uint8Array(c.targetPublicKey),
  codeMac: new Uint8Array(c.codeMac),
})

/**
 * @example
 * const server = createOtpWalletServer({ store: createMemoryStore(), ... })
 */
export function createMemoryStore(): OtpWalletStore {
  const wallets = new Map<string, StoredWallet>() // by id, insertion order = creation order
  const walletIdByUser = new Map<string, string>()
  const challenges = new Map<string, StoredChallenge>()

  function oldestWallet(predicate: (w: StoredWallet) => boolean): StoredWallet | undefined {
    for (const w of wallets.values()) if (predicate(w)) return w
    return undefined
  }

  function insertWallet(w: StoredWallet): void {
    if (wallets.has(w.id)) throw new Error('wallet id collision')
    wallets.set(w.id, copyWallet(w))
    if (w.userId !== null) walletIdByUser.set(w.userId, w.id)
  }

  return {
    async findWalletByUserId(userId) {
      const id = walletIdByUser.get(userId)
      const w = id === undefined ? undefined : wallets.get(id)
      return w === undefined ? null : copyWallet(w)
    },

    async claimOrCreateWallet(userId, candidate) {
      const ownId = walletIdByUser.get(userId)
      if (ownId !== undefined) return copyWallet(wallets.get(ownId)!)
      const unclaimed = oldestWallet((w) => w.userId === null && w.email === candidate.email)
      if (unclaimed !== undefined) {
        unclaimed.userId = userId
        walletIdByUser.set(userId, unclaimed.id)
        return copyWallet(unclaimed)
      }
      insertWallet({ ...candidate, userId })
      return copyWallet(wallets.get(candidate.id)!)
    },

    async createPregeneratedWallet(candidate) {
      const existing = oldestWallet((w) => w.email === candidate.email)
      if (existing !== undefined) return copyWallet(existing)
      insertWallet({ ...candidate, userId: null })
      return copyWallet(wallets.get(candidate.id)!)
    },

    async insertChallenge(challenge: StoredChallenge, limits: ChallengeLimits): Promise<InsertChallengeResult> {
      for (const [id, c] of challenges) {
        if (c.createdAt <= limits.now - limits.windowMs && c.expiresAt <= limits.now) challenges.delete(id)
      }
      const mine = [...challenges.values()].filter((c) => c.userId === challenge.userId)
      // Array#sort is stable: ties stay in insertion order.
      const recent = mine.filter((c) => c.createdAt > limits.now - limits.windowMs).sort((a, b) => a.createdAt - b.createdAt)
      const wait = retryAfterMs(recent, challenge.targetPublicKey, limits)
      if (wait > 0) return { ok: false, retryAfterMs: wait }
      if (challenges.has(challenge.id)) throw new Error('challenge id collision')
      challenges.set(challenge.id, copyChallenge(challenge))
      return { ok: true }
    },

    async markChallengeSent(id, sentAt) {
      const sent = challenges.get(id)
      if (sent === undefined) return
      sent.sentAt = sentAt
      for (const c of challenges.values()) {
        if (c !== sent && c.status === 'open' && c.sentAt !== null && c.userId === sent.userId && equalBytes(c.targetPublicKey, sent.targetPublicKey)) {
          c.status = 'superseded'
        }
      }
    },

    async deleteChallenge(id) {
      challenges.delete(id)
    },

    async beginAttempt(id, userId, now): Promise<AttemptResult> {
      const c = challenges.get(id)
      if (c === undefined || c.userId !== userId) return { ok: false, reason: 'not_found' }
      if (c.status === 'used') return { ok: false, reason: 'used' }
      if (c.status === 'superseded') return { ok: false, reason: 'superseded' }
      if (c.attempts >= c.maxAttempts) return { ok: false, reason: 'exhausted' }
      if (c.expiresAt <= now) return { ok: false, reason: 'expired' }
      c.attempts += 1
      return { ok: true, challenge: copyChallenge(c) }
    },

    async markChallengeUsed(id) {
      const c = challenges.get(id)
      if (c === undefined || c.status !== 'open') return false
      c.status = 'used'
      return true
    },

    close() {
      challenges.clear()
    },
  }
}
