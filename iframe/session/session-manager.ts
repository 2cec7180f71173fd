/**
 * The vault's one session: a wallet key sealed under a session key (wallet-key-box.ts), the
 * address it belongs to, and its life on the LOCAL clock.
 *
 * - start(): called with an accepted grant. issuedAt = local time now, expiresAt = issuedAt +
 *   the grant's duration (never the backend's timestamps: the clocks may differ). Stored in
 *   `storage` and kept in memory, so a live-session signature never touches IndexedDB.
 * - Expiry is checked three ways: a timer at expiresAt, current() on every request, and
 *   restore() at every vault start. A clock that moves backwards past issuedAt also ends it.
 *   An ending session is removed from memory at once and from storage in order, and
 *   `onExpired` fires (→ `session_expired`), except when the host itself asked (endSession).
 */
import type { SessionInfo } from '../../src/protocol/messages.js'
import { describeError, type Log } from '../log.js'
import type { VaultStorage } from '../storage/vault-storage.js'
import type { Clock } from './clock.js'
import type { AcceptedGrant } from './grant.js'
import { sealWalletKey, withWalletKey, type WalletKeyBox } from './wallet-key-box.js'

export interface SessionRecord extends WalletKeyBox {
  v: 1
  address: string
  /** Local epoch ms when the grant was opened. */
  issuedAt: number
  /** Local epoch ms when the session ends. */
  expiresAt: number
}

export const SESSION_STORAGE_KEY = 'session'
/** setTimeout fires at once for delays above 2^31−1 ms; longer sessions re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1

export class SessionManager {
  private record: SessionRecord | null = null
  private timer: unknown = null
  /** Storage writes run in order, so a delete can never land after the next session's put. */
  private writes: Promise<void> = Promise.resolve()

  constructor(
    private readonly storage: VaultStorage,
    private readonly clock: Clock,
    private readonly onExpired: () => void,
    private readonly log: Log,
  ) {}

  /** At vault start: loads a stored session if it is well-formed and still live; deletes it otherwise. */
  async restore(): Promise<void> {
    let stored: unknown
    try {
      stored = await this.storage.get(SESSION_STORAGE_KEY)
    } catch (error) {
      this.log('could not read the stored session', describeError(error))
      return
    }
    if (stored === undefined) return
    if (isSessionRecord(stored) && this.isLive(stored)) {
      this.record = stored
      this.arm()
    } else {
      await this.write(() => this.storage.del(SESSION_STORAGE_KEY))
    }
  }

  /** The live session (for `address`, when given), or null. An expired session is ended here. */
  current(address?: string): SessionRecord | null {
    const record = this.record
    if (record === null) return null
    if (!this.isLive(record)) {
      void this.end(true)
      return null
    }
    return address === undefined || record.address === address ? record : null
  }

  info(): SessionInfo {
    const record = this.current()
    return record === null ? { active: false, expiresAt: null } : { active: true, expiresAt: record.expiresAt }
  }

  /** Starts a session from a (non-single-use) grant. ZEROES grant.privateKey. */
  async start(grant: AcceptedGrant): Promise<SessionRecord> {
    const issuedAt = this.clock.now()
    const box = await sealWalletKey(grant.privateKey, grant.address)
    const record: SessionRecord = { v: 1, ...box, address: grant.address, issuedAt, expiresAt: issuedAt + grant.durationMs }
    this.disarm()
    this.record = record
    this.arm()
    // A failed write leaves the session in memory for this tab; storage reports the fallback.
    await this.write(() => this.storage.set(SESSION_STORAGE_KEY, record))
    return record
  }

  /** Ends the session, if any. `announce` → onExpired (not when the host asked for the end). */
  end(announce: boolean): Promise<void> {
    if (this.record === null) return this.writes
    this.record = null
    this.disarm()
    const done = this.write(() => this.storage.del(SESSION_STORAGE_KEY))
    if (announce) this.onExpired()
    return done
  }

  private isLive(record: SessionRecord): boolean {
    const now = this.clock.now()
    return now >= record.issuedAt && now < record.expiresAt
  }

  private arm(): void {
    const record = this.record
    if (record === null) return
    const delay = Math.min(Math.max(0, record.expiresAt - this.clock.now()), MAX_TIMER_MS)
    this.timer = this.clock.setTimeout(() => {
      this.timer = null
      // current() ends an expired session; a still-live one (clock moved, long session) re-arms.
      if (this.current() !== null) this.arm()
    }, delay)
  }

  private disarm(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer)
    this.timer = null
  }

  private write(op: () => Promise<void>): Promise<void> {
    this.writes = this.writes.then(op).catch((error: unknown) => this.log('session storage write failed', describeError(error)))
    return this.writes
  }
}

/** Runs `use` with the session's wallet key, decrypted for this call only and zeroed after. */
export function withSessionKey<T>(record: SessionRecord, use: (walletKey: Uint8Array) => T): Promise<T> {
  return withWalletKey(record, record.address, use)
}

function isSessionRecord(value: unknown): value is SessionRecord {
  if (typeof value !== 'object' || value === null) return false
  const r = value as Partial<SessionRecord>
  return (
    r.v === 1 &&
    r.key instanceof CryptoKey &&
    !r.key.extractable &&
    r.iv instanceof Uint8Array &&
    r.iv.length === 12 &&
    r.blob instanceof Uint8Array &&
    r.blob.length === 48 &&
    typeof r.address === 'string' &&
    typeof r.issuedAt === 'number' &&
    typeof r.expiresAt === 'number' &&
    r.expiresAt >= r.issuedAt
  )
}
