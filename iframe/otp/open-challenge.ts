/**
 * The open challenge: the code this vault last had emailed and has not used yet, remembered so
 * that the next round reuses it instead of asking the backend for another one.
 *
 * Why: POST /otp/challenge for a target key that already has an open challenge is a RESEND
 * (src/protocol/backend.ts) — refused for `resendSeconds` (429 OTP_RATE_LIMITED), and once
 * allowed it kills the code already in the user's inbox. So "Cancel, then sign again" in one
 * tab, or a second tab of the same site signing while the first waits for its code, must show
 * the code that was already sent, not ask for a new one.
 *
 * - Kept in memory, and in IndexedDB mode also in the vault's storage, which every tab of this
 *   origin and storage partition shares (as it shares the target key): another tab sees it.
 *   In IndexedDB mode storage is the truth (another tab may have used, replaced or killed the
 *   challenge); the memory copy serves memory mode and a storage that fell back to memory.
 * - It holds no secret: ids, the target PUBLIC key, the masked email and times. A code is
 *   bound to the user and the target key on the backend, so knowing the id is worth nothing.
 * - Reused only for the same address, the same target key and the same requested ttl, with
 *   attempts left, and while it lives at least REUSE_MARGIN_MS more on the vault's clock.
 * - Forgotten when it is used, dies (attempts exceeded, expired, unknown), is replaced by a
 *   resend (the new one is remembered instead) or the account changes. Forgetting by id never
 *   removes a newer challenge another tab stored meanwhile.
 * - attemptsLeft is updated after each OTP_INVALID in the tab that got it. Another tab's copy
 *   may show more attempts than are left until its own next answer: the backend's count is the
 *   one that holds, and that tab's next wrong code gets the true number.
 */
import type { OtpRequiredData } from '../../src/protocol/messages.js'
import type { Clock } from '../session/clock.js'
import type { VaultStorage } from '../storage/vault-storage.js'

export interface OpenChallenge {
  v: 1
  challengeId: string
  /** The wallet address of the round that asked for it. */
  address: string
  /** The target key it is bound to, 0x-hex (65 bytes, uncompressed P-256). */
  targetPublicKey: string
  /** The `ttlSeconds` the round asked for: null = the backend's default, 0 = single use. */
  sessionTtlSeconds: number | null
  /** What the UI shows; times on this browser's clock. */
  data: OtpRequiredData
}

/** What a new round would ask the backend for. */
export type ChallengeMatch = Pick<OpenChallenge, 'address' | 'targetPublicKey' | 'sessionTtlSeconds'>

export const OPEN_CHALLENGE_STORAGE_KEY = 'openChallenge'
/** A code this close to its expiry is not offered again: the user could not type it in time. */
export const REUSE_MARGIN_MS = 5_000

export class OpenChallenges {
  private memory: OpenChallenge | null = null
  /** Storage writes run in order, and find() waits for this tab's writes before reading. */
  private writes: Promise<void> = Promise.resolve()

  constructor(
    private readonly storage: VaultStorage,
    private readonly clock: Clock,
  ) {}

  /**
   * The remembered challenge a round with `match` may reuse, or null.
   *
   * @example
   * const open = await challenges.find({ address, targetPublicKey: bytesToHex(target.publicKey), sessionTtlSeconds })
   * if (open === null) await backend.requestChallenge(auth, body)
   */
  async find(match: ChallengeMatch): Promise<OpenChallenge | null> {
    await this.writes
    let open = this.memory
    if (this.storage.kind === 'indexeddb') {
      const stored = await this.read()
      // A read that made storage fall back to memory found nothing: the memory copy still counts.
      if (this.storage.kind === 'indexeddb') open = isOpenChallenge(stored) ? stored : null
    }
    if (open === null) return null
    if (this.clock.now() >= open.data.expiresAt - REUSE_MARGIN_MS || open.data.attemptsLeft <= 0) {
      this.forget(open.challengeId)
      return null
    }
    const same =
      open.address === match.address && open.targetPublicKey === match.targetPublicKey && open.sessionTtlSeconds === match.sessionTtlSeconds
    return same ? open : null
  }

  /** A new challenge was emailed: it replaces whatever was remembered (the backend retired that one). */
  remember(open: OpenChallenge): void {
    this.memory = open
    this.write(async () => {
      if (this.storage.kind === 'indexeddb') await this.storage.set(OPEN_CHALLENGE_STORAGE_KEY, open)
    })
  }

  /** The backend's answer to a wrong code. */
  updateAttempts(challengeId: string, attemptsLeft: number): void {
    if (attemptsLeft <= 0) return this.forget(challengeId)
    const update = (open: OpenChallenge): OpenChallenge => ({ ...open, data: { ...open.data, attemptsLeft } })
    if (this.memory?.challengeId === challengeId) this.memory = update(this.memory)
    this.write(async () => {
      const stored = await this.storedIfShared()
      if (stored?.challengeId === challengeId) await this.storage.set(OPEN_CHALLENGE_STORAGE_KEY, update(stored))
    })
  }

  /** The challenge was used or died. A different (newer) remembered challenge stays. */
  forget(challengeId: string): void {
    if (this.memory?.challengeId === challengeId) this.memory = null
    this.write(async () => {
      const stored = await this.storedIfShared()
      if (stored?.challengeId === challengeId) await this.storage.del(OPEN_CHALLENGE_STORAGE_KEY)
    })
  }

  /** The account changed: forget any challenge that is not `address`'s (every one when null). */
  forgetUnlessFor(address: string | null): void {
    if (this.memory !== null && this.memory.address !== address) this.memory = null
    this.write(async () => {
      const stored = await this.storedIfShared()
      if (stored !== null && stored.address !== address) await this.storage.del(OPEN_CHALLENGE_STORAGE_KEY)
    })
  }

  private async storedIfShared(): Promise<OpenChallenge | null> {
    if (this.storage.kind !== 'indexeddb') return null
    const stored = await this.storage.get(OPEN_CHALLENGE_STORAGE_KEY)
    return isOpenChallenge(stored) ? stored : null
  }

  private async read(): Promise<unknown> {
    try {
      return await this.storage.get(OPEN_CHALLENGE_STORAGE_KEY)
    } catch {
      return undefined // unreadable: ask the backend, as if nothing was remembered
    }
  }

  /** A failed write loses only a reuse: the next round asks the backend (and may wait out its cooldown). */
  private write(op: () => Promise<void>): void {
    this.writes = this.writes.then(op).catch(() => {})
  }
}

/** A stored record is used only if it is exactly what this module writes. */
function isOpenChallenge(value: unknown): value is OpenChallenge {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Partial<OpenChallenge>
  const d = v.data as Partial<OtpRequiredData> | undefined
  return (
    v.v === 1 &&
    typeof v.challengeId === 'string' &&
    v.challengeId.length > 0 &&
    typeof v.address === 'string' &&
    typeof v.targetPublicKey === 'string' &&
    (v.sessionTtlSeconds === null || (typeof v.sessionTtlSeconds === 'number' && Number.isSafeInteger(v.sessionTtlSeconds))) &&
    typeof d === 'object' &&
    d !== null &&
    typeof d.emailHint === 'string' &&
    (d.codeFormat === 'digits' || d.codeFormat === 'alphanumeric') &&
    isCount(d.codeLength) &&
    d.codeLength > 0 &&
    isCount(d.attemptsLeft) &&
    isTime(d.expiresAt) &&
    isTime(d.resendAfter)
  )
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0
