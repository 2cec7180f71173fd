/** Time as the vault sees it; injectable so expiry and clock jumps can be tested. */
export interface Clock {
  /** Wall-clock milliseconds since the epoch (may jump, forwards or backwards). */
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}
