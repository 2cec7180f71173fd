/** `createWallet` options: their types, defaults and validation. */
import { OtpWalletError } from '../protocol/errors.js'
import type { UiMode } from '../protocol/messages.js'

export const DEFAULT_TIMEOUT_MS = 30_000
/** setTimeout's limit: a larger delay overflows and fires at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1
/** The vault refuses longer sessions; the backend's `maxTtlSeconds` is usually far lower. */
const MAX_SESSION_TTL_SECONDS = 365 * 24 * 60 * 60
const KNOWN_OPTIONS: ReadonlySet<string> = new Set(['vaultUrl', 'getAuthToken', 'chainId', 'ui', 'session', 'timeoutMs', 'container'])

export interface CreateWalletOptions {
  /** URL of the deployed vault page, e.g. `https://vault.example/`. https, except on localhost. */
  vaultUrl: string | URL
  /** Returns the user's app-login token; called before every request, so it may refresh. null or undefined = logged out. */
  getAuthToken: () => string | null | undefined | Promise<string | null | undefined>
  /** Default chain id, filled into transactions that carry none. Without it, such transactions are refused. A bigint (as ethers v6 gives it) is fine. */
  chainId?: number | bigint
  /** `'vault'` (default): the vault shows its own code prompt. `'headless'`: you get `otp_required` and render your own. */
  ui?: UiMode
  /** Session length to ask the backend for; 0 = every code signs exactly one request. Default: the backend's. */
  session?: { ttlSeconds: number }
  /** Timeout for requests that do not wait on the user, and for the handshake. Default 30 000 ms. */
  timeoutMs?: number
  /** Where the iframe is appended. Default `document.body`. */
  container?: HTMLElement
}

export interface ResolvedOptions {
  vaultUrl: URL
  getAuthToken: CreateWalletOptions['getAuthToken']
  chainId: number | null
  ui: UiMode
  sessionTtlSeconds: number | null
  timeoutMs: number
  container: HTMLElement
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

export function resolveOptions(options: CreateWalletOptions): ResolvedOptions {
  if (typeof document === 'undefined') {
    throw invalid('options', 'createWallet runs in a browser page; on the server, import from otp-wallet/server')
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid('options', 'createWallet needs an options object: { vaultUrl, getAuthToken, … }')
  }
  const unknownKey = Object.keys(options).find((key) => !KNOWN_OPTIONS.has(key))
  if (unknownKey !== undefined) {
    const unknown = unknownKey.slice(0, 64)
    throw invalid(unknown, `${unknown}: not an option of createWallet (known: ${[...KNOWN_OPTIONS].join(', ')})`)
  }

  if (typeof options.vaultUrl !== 'string' && !(options.vaultUrl instanceof URL)) {
    throw invalid('vaultUrl', `vaultUrl: expected a string or URL, got ${describe(options.vaultUrl)}`)
  }
  let vaultUrl: URL
  try {
    vaultUrl = new URL(String(options.vaultUrl))
  } catch {
    throw invalid('vaultUrl', `vaultUrl: ${describe(options.vaultUrl)} is not an absolute URL`)
  }
  if (vaultUrl.protocol !== 'https:' && !(vaultUrl.protocol === 'http:' && LOOPBACK_HOSTS.has(vaultUrl.hostname))) {
    throw invalid('vaultUrl', 'vaultUrl: must use https (plain http is allowed only for localhost, 127.0.0.1 and [::1])')
  }
  if (vaultUrl.username !== '' || vaultUrl.password !== '') {
    throw invalid('vaultUrl', 'vaultUrl: must not contain credentials (browsers refuse to frame such URLs)')
  }
  // The vault's isolation is the browser's origin boundary: on the page's own origin, page
  // scripts could read the vault's storage and keys directly.
  if (vaultUrl.origin === globalThis.location?.origin) {
    throw invalid('vaultUrl', `vaultUrl: the vault must be served from its own origin, not this page's (${vaultUrl.origin})`)
  }
  if (typeof options.getAuthToken !== 'function') {
    throw invalid('getAuthToken', "getAuthToken: expected a function returning the user's app-login token")
  }

  const chainId = typeof options.chainId === 'bigint' ? Number(options.chainId) : (options.chainId ?? null)
  if (options.chainId !== undefined && !(Number.isSafeInteger(chainId) && chainId! > 0)) {
    throw invalid('chainId', `chainId: expected a positive integer (or no chainId), got ${describe(options.chainId)}`)
  }

  const ui = options.ui === undefined ? 'vault' : options.ui
  if (ui !== 'vault' && ui !== 'headless') throw invalid('ui', `ui: expected 'vault' or 'headless', got ${describe(options.ui)}`)

  let sessionTtlSeconds: number | null = null
  if (options.session !== undefined) {
    const session: unknown = options.session
    if (typeof session !== 'object' || session === null || Array.isArray(session)) {
      throw invalid('session', 'session: expected { ttlSeconds }')
    }
    const extra = Object.keys(session).find((key) => key !== 'ttlSeconds')?.slice(0, 64)
    if (extra !== undefined) throw invalid(`session.${extra}`, `session.${extra}: not an option of createWallet (session takes only ttlSeconds)`)
    const ttl = options.session.ttlSeconds
    if (!(Number.isSafeInteger(ttl) && ttl >= 0 && ttl <= MAX_SESSION_TTL_SECONDS)) {
      throw invalid('session.ttlSeconds', `session.ttlSeconds: expected an integer from 0 to ${MAX_SESSION_TTL_SECONDS}, got ${describe(ttl)}`)
    }
    sessionTtlSeconds = ttl
  }

  const timeoutMs = options.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : options.timeoutMs
  if (!(Number.isSafeInteger(timeoutMs) && timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
    throw invalid('timeoutMs', `timeoutMs: expected an integer from 1 to ${MAX_TIMEOUT_MS}, got ${describe(options.timeoutMs)}`)
  }

  if (options.container !== undefined && !(options.container instanceof HTMLElement && options.container.isConnected)) {
    throw invalid('container', `container: expected an HTMLElement that is in the document, got ${describe(options.container)}`)
  }
  const container = options.container ?? document.body
  if (!container) throw invalid('container', 'container: document.body does not exist yet; call createWallet after the DOM is ready')

  return { vaultUrl, getAuthToken: options.getAuthToken, chainId, ui, sessionTtlSeconds, timeoutMs, container }
}

/** A bad value as a message shows it: strings quoted, so `'5'` does not read as the number 5. */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value)
  if (Array.isArray(value)) return 'an array'
  if (value === null) return 'null'
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'object') return 'an object'
  return String(value)
}

function invalid(field: string, message: string): OtpWalletError {
  return new OtpWalletError('INVALID_CONFIG', message, { details: { field } })
}
