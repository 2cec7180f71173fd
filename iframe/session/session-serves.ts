/**
 * Whether a live session may sign for a page: the one rule behind every "use the session"
 * decision (sign requests, getSession, session events, releasing requests waiting for a code).
 *
 * The session is shared by every tab of the vault's origin and storage partition, but each page
 * has its own account and chose its own `session.ttlSeconds`. A session serves a page only for
 * that page's account, and only if it is no longer than the page asked for: a page that asked
 * for single use (0) gets a code for every signature, and a page that asked for 10 minutes does
 * not sign under a 24-hour session another page started. A page that left the length to the
 * backend (null) takes any session of its account.
 */
import type { SessionRecord } from './session-manager.js'

export function sessionServes(
  record: Pick<SessionRecord, 'address' | 'issuedAt' | 'expiresAt'>,
  address: string | null,
  sessionTtlSeconds: number | null,
): boolean {
  if (record.address !== address) return false
  if (sessionTtlSeconds === null) return true
  return record.expiresAt - record.issuedAt <= sessionTtlSeconds * 1000
}
