/**
 * Whether a page may sign with a live session it did not necessarily start.
 *
 * The session is shared by every tab of the vault's origin and storage partition, but each page
 * chose its own `session.ttlSeconds`. A page that asked for single use (0) must get a code for
 * every signature, and a page that asked for 10 minutes must not sign under a 24-hour session
 * another page started: a page only ever signs under a session no longer than it asked for.
 * A page that left the length to the backend (null) takes any session.
 */
import type { SessionRecord } from './session-manager.js'

export function sessionFits(record: Pick<SessionRecord, 'issuedAt' | 'expiresAt'>, sessionTtlSeconds: number | null): boolean {
  if (sessionTtlSeconds === null) return true
  return record.expiresAt - record.issuedAt <= sessionTtlSeconds * 1000
}
