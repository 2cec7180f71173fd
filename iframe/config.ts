/**
 * The vault's deployment config: `config.json`, served beside the vault page by whoever
 * deploys the vault. It is NEVER taken from the host page — the host is the party the
 * allow-list protects against.
 *
 * ```json
 * { "apiUrl": "https://api.dapp.example/otp-wallet", "allowedOrigins": ["https://dapp.example"], "allowHeadless": false }
 * ```
 *
 * A config that fails validation does not fall back to anything: the vault refuses every
 * connection with INVALID_CONFIG (see connection.ts). Unknown keys are refused too, so a typo
 * (`"allowHeadles": true`) fails loudly instead of leaving its setting at the default.
 */
import { OtpWalletError } from '../src/protocol/errors.js'

export interface VaultConfig {
  /** Absolute http(s) URL of the backend, without a trailing slash; routes are appended. */
  apiUrl: string
  /** Exact serialized origins (`scheme://host[:port]`) allowed to frame and drive the vault. */
  allowedOrigins: ReadonlyArray<string>
  /**
   * Whether hosts may use `ui: 'headless'`. Off by default: in headless mode the host page's
   * scripts read the emailed code, so the vault's own origin no longer keeps it from them.
   */
  allowHeadless: boolean
}

const MAX_ORIGINS = 100
const KNOWN_KEYS: ReadonlyArray<keyof VaultConfig> = ['apiUrl', 'allowedOrigins', 'allowHeadless']

/** Validates parsed `config.json`. Throws INVALID_CONFIG naming the bad field. */
export function parseVaultConfig(json: unknown): VaultConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalid('config', 'config.json must be a JSON object')
  }
  const raw = json as Record<string, unknown>
  for (const key of Object.keys(raw)) {
    if (!(KNOWN_KEYS as ReadonlyArray<string>).includes(key)) {
      // Cut: config.json is whatever the server returned, and the key ends up in messages and logs.
      const shown = key.slice(0, 64)
      throw invalid(shown, `config.json: unknown key "${shown}" (known keys: ${KNOWN_KEYS.join(', ')})`)
    }
  }
  return {
    apiUrl: parseApiUrl(raw.apiUrl),
    allowedOrigins: parseAllowedOrigins(raw.allowedOrigins),
    allowHeadless: parseAllowHeadless(raw.allowHeadless),
  }
}

/**
 * Fetches `config.json` from the vault's own origin and validates it.
 *
 * @example
 * const config = await loadVaultConfig(fetch, new URL('./config.json', location.href))
 */
export async function loadVaultConfig(fetchFn: typeof fetch, url: URL): Promise<VaultConfig> {
  let response: Response
  try {
    // redirect 'error': a redirect could hand the allow-list to another origin's file.
    response = await fetchFn(url.href, { cache: 'no-store', credentials: 'omit', redirect: 'error' })
  } catch (cause) {
    throw new OtpWalletError('INVALID_CONFIG', 'The vault could not load config.json', { cause })
  }
  if (!response.ok) {
    throw new OtpWalletError('INVALID_CONFIG', `The vault could not load config.json (HTTP ${response.status})`, {
      details: { status: response.status },
    })
  }
  let json: unknown
  try {
    json = await response.json()
  } catch (cause) {
    throw new OtpWalletError('INVALID_CONFIG', 'config.json is not valid JSON', { cause })
  }
  return parseVaultConfig(json)
}

function parseApiUrl(value: unknown): string {
  if (typeof value !== 'string') throw invalid('apiUrl', 'apiUrl must be a string')
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw invalid('apiUrl', 'apiUrl must be an absolute URL')
  }
  if (!isSecureScheme(url)) throw invalid('apiUrl', 'apiUrl must be https (plain http only for localhost and 127.0.0.1)')
  if (url.username !== '' || url.password !== '') throw invalid('apiUrl', 'apiUrl must not contain credentials')
  // Routes are appended to the path; a query or fragment would end up in the wrong place.
  if (url.search !== '' || url.hash !== '') throw invalid('apiUrl', 'apiUrl must not have a query or fragment')
  return url.href.replace(/\/+$/, '')
}

function parseAllowedOrigins(value: unknown): ReadonlyArray<string> {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalid('allowedOrigins', 'allowedOrigins must be a non-empty array of origins')
  }
  if (value.length > MAX_ORIGINS) throw invalid('allowedOrigins', `allowedOrigins: at most ${MAX_ORIGINS} origins`)
  const origins = new Set<string>()
  for (const entry of value) origins.add(parseOrigin(entry))
  return [...origins]
}

/** An origin is accepted only in its exact serialized form, so comparing strings is comparing origins. */
function parseOrigin(value: unknown): string {
  if (typeof value !== 'string') throw invalid('allowedOrigins', 'allowedOrigins: every entry must be a string')
  if (value.includes('*')) throw invalid('allowedOrigins', `allowedOrigins: wildcards are not allowed (${value})`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw invalid('allowedOrigins', `allowedOrigins: not an origin (${value})`)
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== value) {
    throw invalid('allowedOrigins', `allowedOrigins: expected exactly scheme://host[:port] (${value})`)
  }
  // A page served over plain http can be rewritten in transit, and a rewritten page can ask
  // for signatures during a live session.
  if (!isSecureScheme(url)) throw invalid('allowedOrigins', `allowedOrigins: must be https, except localhost and 127.0.0.1 (${value})`)
  return value
}

/** Absent means false; anything but a boolean is refused rather than guessed ("false" is truthy). */
function parseAllowHeadless(value: unknown): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw invalid('allowHeadless', 'allowHeadless must be true or false')
  return value
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]'])

function isSecureScheme(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))
}

function invalid(field: string, message: string): OtpWalletError {
  return new OtpWalletError('INVALID_CONFIG', message, { details: { field } })
}
