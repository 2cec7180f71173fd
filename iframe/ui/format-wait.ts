/** How long until something is allowed again, as the prompt shows it: "27s", "12 min", "5 h". */

/** Below this a countdown in seconds is readable; above it, minutes. */
const SECONDS_UP_TO = 120
/** Below this minutes are readable; above it (the daily code limit), hours. */
const MINUTES_UP_TO = 2 * 60 * 60

export function formatWait(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds))
  if (s < SECONDS_UP_TO) return `${s}s`
  if (s < MINUTES_UP_TO) return `${Math.ceil(s / 60)} min`
  return `${Math.ceil(s / 3600)} h`
}
