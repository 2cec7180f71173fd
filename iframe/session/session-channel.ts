/**
 * Tells the vault's other tabs that the session started or ended.
 *
 * The session lives in IndexedDB, shared by every vault tab of one origin and storage partition
 * (one top-level site). Each tab also keeps a copy in memory, so that a signature never waits on
 * IndexedDB. Without a signal, `endSession()` in one tab would leave the others signing from their
 * copy, and a tab opened before the session started would ask for a second code.
 *
 * A BroadcastChannel reaches exactly the same audience as that IndexedDB: same origin, same
 * storage partition (HTML spec, "broadcast channel" keyed by storage key). Announcements carry no
 * data at all — a receiver reloads the session from storage or drops its copy — so nothing about
 * the session crosses even within the vault's own origin.
 */

/** The part of BroadcastChannel the vault uses; tests inject a fake. */
export interface SessionChannel {
  postMessage(message: unknown): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
}

export type SessionAnnouncement = { ns: typeof NAMESPACE; type: 'session_started' | 'session_ended' }

export const SESSION_CHANNEL_NAME = 'otp-wallet-session'
const NAMESPACE = 'otp-wallet'

/**
 * The browser's channel, or null where BroadcastChannel does not exist (then tabs only learn of
 * each other's sessions at start and before an OTP round, from storage).
 *
 * @example
 * const channel = openSessionChannel() // new BroadcastChannel('otp-wallet-session')
 */
export function openSessionChannel(): SessionChannel | null {
  if (typeof BroadcastChannel === 'undefined') return null
  try {
    return new BroadcastChannel(SESSION_CHANNEL_NAME)
  } catch {
    return null // opaque origins (sandboxed frames) may refuse it
  }
}

export function announcement(type: SessionAnnouncement['type']): SessionAnnouncement {
  return { ns: NAMESPACE, type }
}

export function isSessionAnnouncement(message: unknown): message is SessionAnnouncement {
  if (typeof message !== 'object' || message === null) return false
  const m = message as Record<string, unknown>
  return m.ns === NAMESPACE && (m.type === 'session_started' || m.type === 'session_ended')
}
