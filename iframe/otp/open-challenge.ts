/**
 * The open challenges: per wallet address, the code this vault last had emailed and has not
 * used yet, remembered so that the next round reuses it instead of asking the backend again.
 *
 * Why: POST /otp/challenge for a target key that already has an open challenge is a RESEND
 * (src/protocol/backend.ts) — refused for `resendSeconds` (429 OTP_RATE_LIMITED), and once
 * allowed it kills the code already in the user's inbox. So "Cancel, then sign again" in one
 * tab, or a second tab of the same site signing while the first waits for its code, must show
 * the code that was already sent, not ask for a new one.
 *
 * - One record per address, because the backend keeps one open code per app user and target
 *   key: two tabs of this site logged in as different users each keep theirs.
 * - Kept in memory, and in IndexedDB mode also in the vault's storage, which every tab of this
 *   origin and storage partition shares (as it shares the target key): another tab sees it.
 *   In IndexedDB mode storage is the truth (another tab may have used, replaced or killed the
 *   challenge); the memory copy serves memory mode and a storage that fell back to memory.
 * - It holds no secret: ids, the target PUBLIC key, the masked email and times. A code is
 *   bound to the user and the target key on the backend, so knowing the id is worth nothing.
 * - Reused only for the same address, the same target key and the same requested ttl, with
 *   attempts left, and while it lives at least REUSE_MARGIN_MS more on the vault's clock (less
 *   for codes that live under two minutes).
 * - Forgotten when it is used, dies (attempts exceeded, expired, superseded, unknown) or is
 *   replaced by a resend (the new one is remembered instead). Forgetting by id never removes
 *   a newer challenge another tab stored meanwhile. Expired records are pruned on every write.
 * - attemptsLeft is updated after each OTP_INVALID in the tab that got it. Another tab's copy
 *   may show more attempts than are left until its own next answer: the backend's count is the
 *   one that holds, and that tab's next wrong code gets the true number.
 * - Two tabs writing at the same moment can lose one record (read-modify-write across tabs):
 *   that costs only a reuse, and the next round asks the backend instead.
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
  /** When the backend's answer arrived, on this browser's clock: with `data.expiresAt`, the code's lifetime. */
  receivedAt: number
}

/** What a new round would ask the backend for. */
export type ChallengeMatch = Pick<OpenChallenge, 'address' | 'targetPublicKey' | 'sessionTtlSeconds'>

export const OPEN_CHALLENGES_STORAGE_KEY = 'openChallenges'
/**
 * A code this close to its expiry is not offered again: the user still has to open the email
 * and type it. Past it, the next round asks for a new code. For short-lived codes (the backend
 * allows 30 s) the margin shrinks to a quarter of the lifetime, or such a code could never be
 * reused and its resend cooldown would lock the prompt while it still works.
 */
export const REUSE_MARGIN_MS = 30_000
const REUSE_MARGIN_LIFETIME_FRACTION = 0.25

function reuseMarginMs(open: OpenChallenge): number {
  return Math.min(REUSE_MARGIN_MS, (open.data.expiresAt - open.receivedAt) * REUSE_MARGIN_LIFETIME_FRACTION)
}

/** Stored as a Map (IndexedDB keeps Maps): no prototype keys to trip over. */
type ByAddress = Map<string, OpenChallenge>

export class OpenChallenges {
  private readonly memory = new Map<string, OpenChallenge>()
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
    let open = this.memory.get(match.address) ?? null
    if (this.storage.kind === 'indexeddb') {
      const stored = await this.readShared()
      // A read that made storage fall back to memory found nothing: the memory copy still counts.
      if (this.storage.kind === 'indexeddb') open = stored.get(match.address) ?? null
    }
    if (open === null) return null
    if (this.clock.now() >= open.data.expiresAt - reuseMarginMs(open) || open.data.attemptsLeft <= 0) {
      this.forget(open.challengeId)
      return null
    }
    const same = open.targetPublicKey === match.targetPublicKey && open.sessionTtlSeconds === match.sessionTtlSeconds
    return same ? open : null
  }

  /** A new challenge was emailed for `open.address`: it replaces that address's record (the backend retires the old one). */
  remember(open: OpenChallenge): void {
    this.memory.set(open.address, open)
    this.writeShared((stored) => stored.set(open.address, open))
  }

  /** The backend's answer to a wrong code. */
  updateAttempts(challengeId: string, attemptsLeft: number): void {
    if (attemptsLeft <= 0) return this.forget(challengeId)
    const update = (open: OpenChallenge): OpenChallenge =>
      open.challengeId === challengeId ? { ...open, data: { ...open.data, attemptsLeft } } : open
    for (const [address, open] of this.memory) this.memory.set(address, update(open))
    this.writeShared((stored) => new Map([...stored].map(([address, open]) => [address, update(open)])))
  }

  /** The challenge was used or died. A different (newer) remembered challenge stays. */
  forget(challengeId: string): void {
    for (const [address, open] of this.memory) if (open.challengeId === challengeId) this.memory.delete(address)
    this.writeShared((stored) => new Map([...stored].filter(([, open]) => open.challengeId !== challengeId)))
  }

  /** The shared records, each checked; empty when there are none, storage is not shared, or it cannot be read. */
  private async readShared(): Promise<ByAddress> {
    const records: ByAddress = new Map()
    if (this.storage.kind !== 'indexeddb') return records
    let value: unknown
    try {
      value = await this.storage.get(OPEN_CHALLENGES_STORAGE_KEY)
    } catch {
      return records // unreadable: ask the backend, as if nothing was remembered
    }
    if (!(value instanceof Map)) return records
    for (const [address, open] of value) if (isOpenChallenge(open) && open.address === address) records.set(address, open)
    return records
  }

  /** Read-modify-write of the shared records, pruning expired ones. A failed write loses only a reuse. */
  private writeShared(change: (stored: ByAddress) => ByAddress): void {
    const op = async (): Promise<void> => {
      if (this.storage.kind !== 'indexeddb') return
      const now = this.clock.now()
      const next = new Map([...change(await this.readShared())].filter(([, open]) => open.data.expiresAt > now))
      if (next.size === 0) await this.storage.del(OPEN_CHALLENGES_STORAGE_KEY)
      else await this.storage.set(OPEN_CHALLENGES_STORAGE_KEY, next)
    }
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
    isTime(d.resendAfter) &&
    isTime(v.receivedAt)
  )
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0
