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
 * - Other tabs (IndexedDB mode only; a memory-mode session belongs to its tab): start() and end()
 *   announce themselves on the session channel once storage is written. On "ended" a tab drops
 *   its memory copy (onExpired); on "started" it reloads from storage (onAdopted). reload() also
 *   runs before every OTP round, in case an announcement was missed.
 */
import type { SessionInfo } from '../../src/protocol/messages.js'
import { describeError, type Log } from '../log.js'
import type { VaultStorage } from '../storage/vault-storage.js'
import type { Clock } from './clock.js'
import type { AcceptedGrant } from './grant.js'
import { announcement, isSessionAnnouncement, type SessionChannel } from './session-channel.js'
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

export interface SessionManagerDeps {
  storage: VaultStorage
  clock: Clock
  log: Log
  /** A session this tab held ended without the host asking (timer, found expired, another tab, account change). */
  onExpired: (record: SessionRecord) => void
  /** A live session that another tab started is now this tab's too. */
  onAdopted?: (record: SessionRecord) => void
  /** Cross-tab announcements (session-channel.ts); null where there is no BroadcastChannel. */
  channel?: SessionChannel | null
}

export class SessionManager {
  private record: SessionRecord | null = null
  private timer: unknown = null
  /** Storage writes run in order, so a delete can never land after the next session's put. */
  private writes: Promise<void> = Promise.resolve()
  /** Bumped on every change of `record`, so a slow storage read cannot overwrite a newer session. */
  private changes = 0
  private readonly storage: VaultStorage
  private readonly clock: Clock

  constructor(private readonly deps: SessionManagerDeps) {
    this.storage = deps.storage
    this.clock = deps.clock
    deps.channel?.addEventListener('message', (event) => this.onAnnouncement(event.data))
  }

  /** At vault start: loads a stored session if it is well-formed and still live; deletes it otherwise. */
  async restore(): Promise<void> {
    const stored = await this.readStored()
    if (stored === undefined) return
    if (isSessionRecord(stored) && this.isLive(stored)) {
      this.replace(stored)
    } else {
      await this.write(() => this.storage.del(SESSION_STORAGE_KEY))
    }
  }

  /**
   * Picks up a live session another tab stored (IndexedDB mode only). Returns the live session.
   * Never deletes anything: a record it cannot use may be another tab's write in progress.
   */
  async reload(): Promise<SessionRecord | null> {
    if (this.storage.kind !== 'indexeddb') return this.current()
    const before = this.changes
    const stored = await this.readStored()
    if (before !== this.changes) return this.current() // this tab started or ended one meanwhile: it is newer
    if (isSessionRecord(stored) && this.isLive(stored) && !sameSession(stored, this.record)) {
      this.replace(stored)
      this.deps.onAdopted?.(stored)
    }
    return this.current()
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
    this.replace(record)
    // A failed write leaves the session in memory for this tab; storage reports the fallback.
    await this.write(() => this.storage.set(SESSION_STORAGE_KEY, record))
    this.announce('session_started')
    return record
  }

  /**
   * Ends the session in this tab, in storage and in the other tabs — also when only storage holds
   * one (another tab's). `announce` → onExpired for this tab's copy (not when the host asked).
   */
  end(announce: boolean): Promise<void> {
    const record = this.record
    if (record !== null) this.replace(null)
    const done = this.write(() => this.storage.del(SESSION_STORAGE_KEY)).then(() => this.announce('session_ended'))
    if (announce && record !== null) this.deps.onExpired(record)
    return done
  }

  private onAnnouncement(message: unknown): void {
    // Memory-mode sessions are per tab: another tab's news is about a session this tab cannot share.
    if (!isSessionAnnouncement(message) || this.storage.kind !== 'indexeddb') return
    if (message.type === 'session_started') {
      void this.reload()
      return
    }
    // The sender already deleted it from storage; deleting again here could hit a newer session.
    const record = this.record
    if (record === null) return
    this.replace(null)
    this.deps.onExpired(record)
  }

  private announce(type: 'session_started' | 'session_ended'): void {
    // Checked after the write: a write that fell back to memory has nothing to share.
    if (this.storage.kind !== 'indexeddb' || !this.deps.channel) return
    try {
      this.deps.channel.postMessage(announcement(type))
    } catch (error) {
      this.deps.log('could not announce the session to other tabs', describeError(error))
    }
  }

  private replace(record: SessionRecord | null): void {
    this.disarm()
    this.record = record
    this.changes++
    this.arm()
  }

  private async readStored(): Promise<unknown> {
    try {
      return await this.storage.get(SESSION_STORAGE_KEY)
    } catch (error) {
      this.deps.log('could not read the stored session', describeError(error))
      return undefined
    }
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
    this.writes = this.writes.then(op).catch((error: unknown) => this.deps.log('session storage write failed', describeError(error)))
    return this.writes
  }
}

/** Runs `use` with the session's wallet key, decrypted for this call only and zeroed after. */
export function withSessionKey<T>(record: SessionRecord, use: (walletKey: Uint8Array) => T): Promise<T> {
  return withWalletKey(record, record.address, use)
}

/** Records read back from IndexedDB are copies, so sessions are compared by what identifies them. */
function sameSession(a: SessionRecord, b: SessionRecord | null): boolean {
  return b !== null && a.address === b.address && a.issuedAt === b.issuedAt && a.expiresAt === b.expiresAt
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
