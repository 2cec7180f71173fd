/**
 * The rate-limit rule shared by the stores: given the createdAt times of one user's challenges
 * within the window, how long until another challenge is allowed (0 = now).
 */
import type { ChallengeLimits } from './store.js'

/**
 * @param createdAt the user's challenge creation times with createdAt > now − windowMs, ascending
 */
export function retryAfterMs(createdAt: readonly number[], limits: ChallengeLimits): number {
  let wait = 0
  const count = createdAt.length
  if (count >= limits.maxPerWindow) {
    // A slot frees up when the challenge at index count − max (ascending) leaves the window.
    const freeing = createdAt[count - limits.maxPerWindow]!
    wait = Math.max(wait, freeing + limits.windowMs - limits.now)
  }
  const latest = createdAt[count - 1]
  if (latest !== undefined && limits.resendMs > 0 && limits.now - latest < limits.resendMs) {
    wait = Math.max(wait, latest + limits.resendMs - limits.now)
  }
  return Math.max(0, wait)
}
