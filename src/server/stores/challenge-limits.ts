/**
 * The rate-limit rule shared by the stores: given one user's challenges created within the
 * window, how long until another challenge for `targetPublicKey` is allowed (0 = now).
 *
 * - Daily cap: at most `maxPerWindow` challenges created in any `windowMs` (sliding), whatever
 *   became of them and whichever target key they were for. This is what bounds the guess odds
 *   (see config.ts guessOddsPerDay) and the emails one user can be sent.
 * - Resend cooldown: `resendMs` after the latest challenge for the SAME target key, but only
 *   while that challenge is still outstanding (open, attempts left, not expired). It exists so
 *   a code in flight cannot be re-sent in a loop to spam the inbox; once the code was used, or
 *   died of wrong attempts or old age, there is no code in flight and the next one may be sent
 *   at once. Another target key is another browser or device: its first code does not wait for
 *   this one (and does not kill it, see store.ts).
 */
import { equalBytes } from '../../crypto/bytes.js'
import type { ChallengeLimits, StoredChallenge } from './store.js'

/** The fields of a stored challenge the rule looks at. */
export type RecentChallenge = Pick<StoredChallenge, 'targetPublicKey' | 'createdAt' | 'expiresAt' | 'attempts' | 'maxAttempts' | 'status'>

/** Whether a code is still in flight: it can still be verified. */
export function isOutstanding(c: RecentChallenge, now: number): boolean {
  return c.status === 'open' && c.attempts < c.maxAttempts && c.expiresAt > now
}

/**
 * @param recent the user's challenges with createdAt > now − windowMs, ascending by createdAt
 *   (ties in insertion order)
 * @param targetPublicKey the target key of the challenge about to be created
 */
export function retryAfterMs(recent: readonly RecentChallenge[], targetPublicKey: Uint8Array, limits: ChallengeLimits): number {
  let wait = 0
  const count = recent.length
  if (count >= limits.maxPerWindow) {
    // A slot frees up when the challenge at index count − max (ascending) leaves the window.
    const freeing = recent[count - limits.maxPerWindow]!.createdAt
    wait = Math.max(wait, freeing + limits.windowMs - limits.now)
  }
  const latest = latestFor(recent, targetPublicKey)
  if (latest !== undefined && limits.resendMs > 0 && limits.now - latest.createdAt < limits.resendMs && isOutstanding(latest, limits.now)) {
    wait = Math.max(wait, latest.createdAt + limits.resendMs - limits.now)
  }
  return Math.max(0, wait)
}

function latestFor(recent: readonly RecentChallenge[], targetPublicKey: Uint8Array): RecentChallenge | undefined {
  for (let i = recent.length - 1; i >= 0; i--) if (equalBytes(recent[i]!.targetPublicKey, targetPublicKey)) return recent[i]
  return undefined
}
