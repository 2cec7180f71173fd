/**
 * The rate-limit rule shared by the stores: given one user's challenges created within the
 * window, how long until another challenge is allowed (0 = now).
 *
 * - Daily cap: at most `maxPerWindow` challenges created in any `windowMs` (sliding), whatever
 *   became of them. This is what bounds the guess odds (see config.ts guessOddsPerDay).
 * - Resend cooldown: `resendMs` after the latest challenge, but ONLY while that challenge is
 *   still outstanding (open, attempts left, not expired). It exists so a code in flight cannot
 *   be re-sent in a loop to spam the inbox; once the code was used, or died of wrong attempts
 *   or old age, there is no code in flight and the next one may be sent at once.
 */
import type { ChallengeLimits, StoredChallenge } from './store.js'

/** The fields of a stored challenge the rule looks at. */
export type RecentChallenge = Pick<StoredChallenge, 'createdAt' | 'expiresAt' | 'attempts' | 'maxAttempts' | 'status'>

/** Whether a code is still in flight: it can still be verified. */
export function isOutstanding(c: RecentChallenge, now: number): boolean {
  return c.status === 'open' && c.attempts < c.maxAttempts && c.expiresAt > now
}

/**
 * @param recent the user's challenges with createdAt > now − windowMs, ascending by createdAt
 *   (ties in insertion order)
 */
export function retryAfterMs(recent: readonly RecentChallenge[], limits: ChallengeLimits): number {
  let wait = 0
  const count = recent.length
  if (count >= limits.maxPerWindow) {
    // A slot frees up when the challenge at index count − max (ascending) leaves the window.
    const freeing = recent[count - limits.maxPerWindow]!.createdAt
    wait = Math.max(wait, freeing + limits.windowMs - limits.now)
  }
  const latest = recent[count - 1]
  if (latest !== undefined && limits.resendMs > 0 && limits.now - latest.createdAt < limits.resendMs && isOutstanding(latest, limits.now)) {
    wait = Math.max(wait, latest.createdAt + limits.resendMs - limits.now)
  }
  return Math.max(0, wait)
}
