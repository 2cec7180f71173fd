/**
 * `createOtpWalletServer` options: validation, defaults, and the guess-odds rule.
 *
 * Every problem is INVALID_CONFIG with `details.field` naming the option, thrown when the
 * server is created — never later, in the middle of a user's request.
 */
import { OtpWalletError } from '../protocol/errors.js'
import type { Mailer } from './mailers/mailer.js'
import { parseMasterKey } from './server-keys.js'
import type { OtpWalletStore } from './stores/store.js'
import { codeAlphabet, type CodeFormat } from './otp-code.js'

/** Who the app says is calling; returned by `authenticate`. */
export interface AuthenticatedUser {
  /** Stable id of the user in the app; the wallet belongs to it. */
  userId: string
  /** Where codes are sent. */
  email: string
}

export interface OtpOptions {
  format?: CodeFormat
  length?: number
  ttlSeconds?: number
  maxAttempts?: number
  resendSeconds?: number
  maxChallengesPerDay?: number
}

export interface SessionOptions {
  ttlSeconds?: number
  maxTtlSeconds?: number
}

export interface ErrorContext {
  method: string
  path: string
}

export interface OtpWalletServerConfig {
  /** Turns a request into the app's user (usually from `Authorization: Bearer`), or null: 401. */
  authenticate: (request: Request) => Promise<AuthenticatedUser | null> | AuthenticatedUser | null
  store: OtpWalletStore
  mailer: Mailer
  /**
   * 32 bytes, or a string of them as hex (64 hex digits, `0x` optional: `openssl rand -hex 32`)
   * or base64 (`openssl rand -base64 32`). A 64-hex-digit string is always read as hex.
   * Wraps every wallet key: keep it out of the DB.
   */
  masterKey: Uint8Array | string
  /** The vault's exact origin, e.g. `https://vault.example`: the only origin CORS allows. */
  vaultOrigin: string
  /** Named in the email. Default: the vault origin's host. */
  siteName?: string
  /** Mount prefix such as `/api`. Default: '' (routes at the root). */
  basePath?: string
  otp?: OtpOptions
  session?: SessionOptions
  /** Accept an `otp` combination whose guess odds exceed 1 in 10,000 per account per day. */
  allowWeakOtp?: boolean
  /** Clock in ms since the epoch, for tests. Default `Date.now`. */
  now?: () => number
  /** Called for unexpected errors and mail failures. Default: one line on console.error, no secrets. */
  onError?: (error: unknown, context: ErrorContext) => void
}

export interface ResolvedOtpOptions {
  format: CodeFormat
  length: number
  ttlSeconds: number
  maxAttempts: number
  resendSeconds: number
  maxChallengesPerDay: number
}

export interface ResolvedConfig {
  authenticate: OtpWalletServerConfig['authenticate']
  store: OtpWalletStore
  mailer: Mailer
  /** A private copy; the caller's bytes are not kept. Zeroed once the subkeys are derived. */
  masterKey: Uint8Array<ArrayBuffer>
  vaultOrigin: string
  siteName: string
  basePath: string
  otp: ResolvedOtpOptions
  session: { ttlSeconds: number; maxTtlSeconds: number }
  now: () => number
  onError: (error: unknown, context: ErrorContext) => void
}

export const OTP_DEFAULTS: Readonly<ResolvedOtpOptions> = Object.freeze({
  format: 'digits',
  length: 6,
  ttlSeconds: 600,
  maxAttempts: 3,
  resendSeconds: 30,
  maxChallengesPerDay: 20,
})

export const SESSION_DEFAULTS = Object.freeze({ ttlSeconds: 3600, maxTtlSeconds: 86_400 })

/** The most an attacker may expect to win against one account in a day: 1 in 10,000. */
export const MAX_GUESS_ODDS_PER_DAY = 1e-4

/**
 * Chance that an attacker holding the user's app token guesses a code within 24 hours.
 *
 * Codes are uniform over alphabet^length (CSPRNG, rejection sampling). Each challenge allows
 * `maxAttempts` guesses, and at most `maxChallengesPerDay` challenges start in any 24 h window,
 * so at most C·A guesses a day, each right with probability 1/N (union bound):
 *
 *   odds/day ≤ maxChallengesPerDay · maxAttempts / alphabetSize^length
 *
 *   defaults: 20 · 3 / 10^6 = 6·10^-5 ≈ 1 in 16,667        (digits, length 6)
 *   alphanumeric (31 symbols, no look-alikes), length 6: 60 / 31^6 ≈ 6.8·10^-8
 *   rejected without allowWeakOtp: anything above 10^-4, e.g. 20 · 5 / 10^6 = 10^-4 is the limit,
 *   20 · 6 / 10^6 = 1.2·10^-4 is refused.
 *
 * @example
 * guessOddsPerDay({}) // 0.00006
 */
export function guessOddsPerDay(otp: OtpOptions = {}): number {
  const format = otp.format ?? OTP_DEFAULTS.format
  const length = otp.length ?? OTP_DEFAULTS.length
  const attempts = otp.maxAttempts ?? OTP_DEFAULTS.maxAttempts
  const perDay = otp.maxChallengesPerDay ?? OTP_DEFAULTS.maxChallengesPerDay
  return (perDay * attempts) / codeAlphabet(format).length ** length
}

function invalid(field: string, message: string): OtpWalletError {
  return new OtpWalletError('INVALID_CONFIG', `${field}: ${message}`, { details: { field } })
}

function int(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, `expected an integer from ${min} to ${max}, got ${String(value)}`)
  }
  return value
}

const TOP_LEVEL_OPTIONS: ReadonlySet<string> = new Set([
  'authenticate', 'store', 'mailer', 'masterKey', 'vaultOrigin', 'siteName', 'basePath',
  'otp', 'allowWeakOtp', 'session', 'now', 'onError',
])
const OTP_OPTIONS: ReadonlySet<string> = new Set(['format', 'length', 'ttlSeconds', 'maxAttempts', 'resendSeconds', 'maxChallengesPerDay'])
const SESSION_OPTIONS: ReadonlySet<string> = new Set(['ttlSeconds', 'maxTtlSeconds'])

function assertKnownKeys(value: Record<string, unknown>, known: ReadonlySet<string>, prefix: string): void {
  const unknown = Object.keys(value).find((key) => !known.has(key))
  if (unknown !== undefined) throw invalid(prefix + unknown, `not an option (known: ${[...known].join(', ')})`)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

function parseVaultOrigin(value: unknown): string {
  if (typeof value !== 'string') throw invalid('vaultOrigin', 'expected a string such as https://vault.example')
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw invalid('vaultOrigin', `not a URL: ${value}`)
  }
  if (url.origin !== value) {
    throw invalid('vaultOrigin', `expected an exact origin (scheme://host[:port], no path or trailing slash), got ${value}`)
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname))) {
    throw invalid('vaultOrigin', 'must be https (http only for localhost, 127.0.0.1 and [::1])')
  }
  return value
}

function parseBasePath(value: unknown): string {
  if (value === undefined || value === '') return ''
  if (typeof value !== 'string' || !/^(\/[A-Za-z0-9._~-]+)+$/.test(value)) {
    throw invalid('basePath', `expected a path such as /api (leading slash, no trailing slash), got ${String(value)}`)
  }
  return value
}

function parseSiteName(value: unknown, vaultOrigin: string): string {
  if (value === undefined) return new URL(vaultOrigin).host
  if (typeof value !== 'string' || value.trim() === '' || value.length > 100 || /[\x00-\x1f\x7f]/.test(value)) {
    throw invalid('siteName', 'expected 1–100 printable characters')
  }
  return value.trim()
}

function defaultOnError(error: unknown, context: ErrorContext): void {
  // Name and message only: no stack, no request body, no headers (they carry tokens).
  const what = error instanceof Error ? `${error.name}: ${error.message}` : typeof error
  console.error(`[otp-wallet] ${context.method} ${context.path}: ${what}`)
}

/**
 * Validates `createOtpWalletServer` options and fills in the defaults.
 * Throws INVALID_CONFIG naming the first bad field.
 */
export function resolveConfig(config: OtpWalletServerConfig): ResolvedConfig {
  if (!isRecord(config)) throw invalid('config', 'expected an options object')
  // A misspelt option (otp.ttlSecond) would silently keep a default that matters for security.
  assertKnownKeys(config, TOP_LEVEL_OPTIONS, '')
  if (typeof config.authenticate !== 'function') throw invalid('authenticate', 'expected a function (request) => { userId, email } | null')
  const store = config.store as unknown
  if (!isRecord(store) || typeof store.findWalletByUserId !== 'function' || typeof store.beginAttempt !== 'function') {
    throw invalid('store', 'expected an OtpWalletStore, e.g. createSqliteStore(path) or createMemoryStore()')
  }
  const mailer = config.mailer as unknown
  if (!isRecord(mailer) || typeof mailer.sendCode !== 'function') {
    throw invalid('mailer', 'expected a Mailer with sendCode(message), e.g. createSmtpMailer({...})')
  }
  if (config.now !== undefined && typeof config.now !== 'function') throw invalid('now', 'expected a function returning ms since the epoch')
  if (config.onError !== undefined && typeof config.onError !== 'function') throw invalid('onError', 'expected a function')

  const vaultOrigin = parseVaultOrigin(config.vaultOrigin)
  const siteName = parseSiteName(config.siteName, vaultOrigin)
  const basePath = parseBasePath(config.basePath)

  if (config.otp !== undefined && !isRecord(config.otp)) throw invalid('otp', 'expected an object')
  const otpIn = (config.otp ?? {}) as Record<string, unknown>
  assertKnownKeys(otpIn, OTP_OPTIONS, 'otp.')
  const format = otpIn.format ?? OTP_DEFAULTS.format
  if (format !== 'digits' && format !== 'alphanumeric') throw invalid('otp.format', "expected 'digits' or 'alphanumeric'")
  const otp: ResolvedOtpOptions = {
    format,
    length: int(otpIn.length, 'otp.length', 6, 12, OTP_DEFAULTS.length),
    ttlSeconds: int(otpIn.ttlSeconds, 'otp.ttlSeconds', 30, 86_400, OTP_DEFAULTS.ttlSeconds),
    maxAttempts: int(otpIn.maxAttempts, 'otp.maxAttempts', 1, 10, OTP_DEFAULTS.maxAttempts),
    resendSeconds: int(otpIn.resendSeconds, 'otp.resendSeconds', 0, 3600, OTP_DEFAULTS.resendSeconds),
    maxChallengesPerDay: int(otpIn.maxChallengesPerDay, 'otp.maxChallengesPerDay', 1, 10_000, OTP_DEFAULTS.maxChallengesPerDay),
  }
  if (config.allowWeakOtp !== undefined && typeof config.allowWeakOtp !== 'boolean') throw invalid('allowWeakOtp', 'expected a boolean')
  const odds = guessOddsPerDay(otp)
  if (odds > MAX_GUESS_ODDS_PER_DAY && config.allowWeakOtp !== true) {
    throw invalid(
      'otp',
      `guess odds ${odds.toExponential(2)} per account per day exceed 1e-4 ` +
        '(maxChallengesPerDay · maxAttempts / alphabet^length); use longer codes, fewer attempts or challenges, or set allowWeakOtp: true',
    )
  }

  if (config.session !== undefined && !isRecord(config.session)) throw invalid('session', 'expected an object')
  const sessionIn = (config.session ?? {}) as Record<string, unknown>
  assertKnownKeys(sessionIn, SESSION_OPTIONS, 'session.')
  const maxTtlSeconds = int(sessionIn.maxTtlSeconds, 'session.maxTtlSeconds', 0, 30 * 86_400, SESSION_DEFAULTS.maxTtlSeconds)
  const ttlSeconds = int(sessionIn.ttlSeconds, 'session.ttlSeconds', 0, maxTtlSeconds, Math.min(SESSION_DEFAULTS.ttlSeconds, maxTtlSeconds))

  const masterKey = parseMasterKey(config.masterKey)

  return {
    authenticate: config.authenticate,
    store: config.store,
    mailer: config.mailer,
    masterKey,
    vaultOrigin,
    siteName,
    basePath,
    otp,
    session: { ttlSeconds, maxTtlSeconds },
    now: config.now ?? Date.now,
    onError: config.onError ?? defaultOnError,
  }
}
