/** What every route gets: the resolved config and the derived keys. */
import type { AuthenticatedUser, ErrorContext, ResolvedConfig } from './config.js'
import type { ServerKeys } from './server-keys.js'

export interface ServerContext {
  config: ResolvedConfig
  /** Resolves once the subkeys are derived from the master key (at startup). */
  keys: () => Promise<ServerKeys>
  /** config.onError, guarded: a throwing logger never breaks a request. */
  report: (error: unknown, context: ErrorContext) => void
}

export interface RouteInput {
  ctx: ServerContext
  request: Request
  user: AuthenticatedUser
}

/** 128-bit random id as 32 lowercase hex characters (wallet and challenge ids). */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  let out = ''
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}

export const ID_RE = /^[0-9a-f]{32}$/
