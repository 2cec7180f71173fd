/**
 * The vault's only logger. It writes to the vault frame's own console, which the host page
 * cannot read. Callers pass short fixed strings and error names/codes — never codes, keys,
 * tokens or grant contents.
 */
export type Log = (message: string, detail?: string) => void

export const consoleLog: Log = (message, detail) => {
  if (detail === undefined) console.warn(`[otp-wallet vault] ${message}`)
  else console.warn(`[otp-wallet vault] ${message}: ${detail}`)
}

/** A name for a thrown value that is safe to log (no message text, which may echo input). */
export function describeError(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: unknown; name?: unknown }
    if (typeof e.code === 'string') return e.code
    if (typeof e.name === 'string') return e.name
  }
  return typeof error
}
