/**
 * Every error code the SDK, the vault and the backend can produce, in one place.
 *
 * Codes are stable: a dApp may branch on them. Messages are for people and may change.
 * Errors cross the host/vault boundary and the HTTP boundary as `{ code, message, details? }`,
 * never with a stack.
 */
export const ERROR_CODES = {
  /** `createWallet` or `createOtpWalletServer` was given options it cannot use. */
  INVALID_CONFIG: 'INVALID_CONFIG',
  /** A request's payload is malformed; `details.field` names the offending field. */
  INVALID_REQUEST: 'INVALID_REQUEST',
  /** The vault did not answer the handshake in time (wrong `vaultUrl`, blocked frame, offline). */
  VAULT_UNREACHABLE: 'VAULT_UNREACHABLE',
  /** The vault's `config.json` does not list the host page's origin. */
  ORIGIN_NOT_ALLOWED: 'ORIGIN_NOT_ALLOWED',
  /** Host SDK and vault speak different protocol versions; deploy matching versions. */
  PROTOCOL_VERSION_MISMATCH: 'PROTOCOL_VERSION_MISMATCH',
  /** The vault does not know the requested method. */
  UNKNOWN_METHOD: 'UNKNOWN_METHOD',
  /** A non-interactive request got no answer within `timeoutMs`. */
  TIMEOUT: 'TIMEOUT',
  /** The wallet was destroyed; create a new one. */
  DESTROYED: 'DESTROYED',
  /** No valid app-login token: `getAuthToken` returned nothing or the backend refused it. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** The app's logged-in user is not the wallet's owner any more; the session was ended. Call `destroy()` and create a new wallet. */
  ACCOUNT_CHANGED: 'ACCOUNT_CHANGED',
  /** The code was wrong; `details.attemptsLeft` says how many tries remain. */
  OTP_INVALID: 'OTP_INVALID',
  /** The challenge expired or no longer exists; ask for a new code. */
  OTP_EXPIRED: 'OTP_EXPIRED',
  /** Too many wrong codes; the challenge is dead. Ask for a new code. */
  OTP_ATTEMPTS_EXCEEDED: 'OTP_ATTEMPTS_EXCEEDED',
  /** Too many codes requested; `details.retryAfterSeconds` says when to try again. */
  OTP_RATE_LIMITED: 'OTP_RATE_LIMITED',
  /** The user closed the code prompt, or the host called `cancel()`. */
  USER_CANCELLED: 'USER_CANCELLED',
  /** The backend could not be reached or failed; `details.status` carries the HTTP status. */
  BACKEND_ERROR: 'BACKEND_ERROR',
  /** The backend could not send the code email. */
  MAIL_FAILED: 'MAIL_FAILED',
  /** The route or resource does not exist. */
  NOT_FOUND: 'NOT_FOUND',
  /** An unexpected failure; the message says where. */
  INTERNAL: 'INTERNAL',
} as const

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES]

const CODE_SET: ReadonlySet<string> = new Set(Object.values(ERROR_CODES))

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && CODE_SET.has(value)
}

/** Structured details an error may carry. Only plain, cloneable values; never key material. */
export interface ErrorDetails {
  field?: string
  attemptsLeft?: number
  retryAfterSeconds?: number
  status?: number
  /** OTP_EXPIRED: why the code stopped working (OtpExpiredReason). */
  reason?: string
  [key: string]: string | number | boolean | undefined
}

/** Why a code stopped working, in OTP_EXPIRED's `details.reason`: 'superseded' = a newer code was requested. */
export type OtpExpiredReason = 'expired' | 'used' | 'superseded' | 'not_found'

/** The OtpExpiredReason of an OTP_EXPIRED error, or null for any other error or an unknown reason. */
export function otpExpiredReason(error: unknown): OtpExpiredReason | null {
  if (!(error instanceof OtpWalletError) || error.code !== 'OTP_EXPIRED') return null
  const reason = error.details?.reason
  return reason === 'expired' || reason === 'used' || reason === 'superseded' || reason === 'not_found' ? reason : null
}

/** What an error looks like on the wire (postMessage and HTTP bodies). */
export interface SerializedError {
  code: ErrorCode
  message: string
  details?: ErrorDetails
}

/**
 * The one error class of otp-wallet.
 *
 * @example
 * try { await wallet.signMessage('hi') }
 * catch (e) { if (e instanceof OtpWalletError && e.code === 'USER_CANCELLED') return }
 */
export class OtpWalletError extends Error {
  override readonly name = 'OtpWalletError'
  readonly code: ErrorCode
  readonly details: ErrorDetails | undefined

  constructor(code: ErrorCode, message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.details = options.details
  }

  toJSON(): SerializedError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details }
  }

  static fromSerialized(error: SerializedError): OtpWalletError {
    return new OtpWalletError(error.code, error.message, error.details === undefined ? {} : { details: error.details })
  }
}

/** Serialize any thrown value for the other side of a boundary: code and message only, no stack. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof OtpWalletError) return error.toJSON()
  return { code: ERROR_CODES.INTERNAL, message: 'Unexpected error' }
}

export function isSerializedError(value: unknown): value is SerializedError {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return isErrorCode(v.code) && typeof v.message === 'string' && (v.details === undefined || (typeof v.details === 'object' && v.details !== null))
}
