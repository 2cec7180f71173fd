/**
 * The vault's HTTP client for the backend contract in `src/protocol/backend.ts`.
 *
 * - Every call carries the host's app-login token as `Authorization: Bearer`; a request
 *   without a token fails UNAUTHENTICATED before anything is sent.
 * - `credentials: 'omit'`: the vault never rides on cookies of the backend's site; the bearer
 *   token is the only authority.
 * - `redirect: 'error'`: the API does not redirect; refusing keeps the token on `apiUrl`.
 * - Error bodies `{ error: { code, message, details } }` become OtpWalletError with the same
 *   code; anything else that is not a well-formed answer is BACKEND_ERROR with `details.status`
 *   (0 when there was no HTTP response at all).
 * - Response bodies are validated: a malformed answer is BACKEND_ERROR, never a crash later on.
 * - A challenge's times come back on this browser's clock (see ChallengeResponse.serverTime).
 * - The wallet address comes back EIP-55 checksummed, so addresses compare as strings.
 */
import { getAddress } from 'ethers/address'
import {
  BACKEND_ROUTES,
  type ChallengeRequest,
  type ChallengeResponse,
  type SealedGrant,
  type VerifyRequest,
  type VerifyResponse,
  type WalletResponse,
} from '../src/protocol/backend.js'
import { isErrorCode, OtpWalletError, type ErrorDetails } from '../src/protocol/errors.js'

export interface BackendClient {
  getWallet(auth: string | null): Promise<WalletResponse>
  requestChallenge(auth: string | null, body: ChallengeRequest): Promise<ChallengeResponse>
  verify(auth: string | null, body: VerifyRequest): Promise<VerifyResponse>
}

/** Long enough for the backend to send an email, short enough that a dead API does not hang a request. */
export const BACKEND_TIMEOUT_MS = 30_000
const MAX_TOKEN_LENGTH = 16_384

/**
 * @example
 * const backend = createBackendClient(config.apiUrl, fetch.bind(globalThis))
 * const { address } = await backend.getWallet(request.auth)
 */
export function createBackendClient(
  apiUrl: string,
  fetchFn: typeof fetch,
  now: () => number = Date.now,
  timeoutMs = BACKEND_TIMEOUT_MS,
): BackendClient {
  async function call(method: 'GET' | 'POST', route: string, auth: string | null, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { Authorization: `Bearer ${checkToken(auth)}`, Accept: 'application/json' }
    const init: RequestInit = {
      method,
      headers,
      credentials: 'omit',
      redirect: 'error',
      cache: 'no-store',
      signal: AbortSignal.timeout(timeoutMs),
    }
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    let response: Response
    try {
      response = await fetchFn(apiUrl + route, init)
    } catch (cause) {
      const timedOut = cause instanceof DOMException && cause.name === 'TimeoutError'
      throw new OtpWalletError('BACKEND_ERROR', timedOut ? 'The backend did not answer in time' : 'The backend could not be reached', {
        details: { status: 0 },
        cause,
      })
    }
    let json: unknown
    try {
      json = await response.json()
    } catch (cause) {
      throw new OtpWalletError('BACKEND_ERROR', `The backend answered HTTP ${response.status} without JSON`, {
        details: { status: response.status },
        cause,
      })
    }
    if (!response.ok) throw errorFromBody(json, response.status)
    return json
  }

  return {
    async getWallet(auth) {
      const json = await call('GET', BACKEND_ROUTES.wallet, auth)
      if (!isRecord(json) || !isSessionLimits(json.session)) throw malformed('wallet')
      const { ttlSeconds, maxTtlSeconds } = json.session
      return { address: checksumAddress(json.address), session: { ttlSeconds, maxTtlSeconds } }
    },
    async requestChallenge(auth, body) {
      const json = await call('POST', BACKEND_ROUTES.challenge, auth, body)
      if (!isChallengeResponse(json)) throw malformed('challenge')
      // The host compares these with its own clock: move them from the backend's clock to
      // this browser's (the request's latency is small next to the minutes they measure).
      const shift = now() - json.serverTime
      return { ...json, expiresAt: json.expiresAt + shift, resendAfter: json.resendAfter + shift }
    },
    async verify(auth, body) {
      const json = await call('POST', BACKEND_ROUTES.verify, auth, body)
      if (!isRecord(json) || !isSealedGrant(json.grant)) throw malformed('verify')
      return { grant: { enc: json.grant.enc, ciphertext: json.grant.ciphertext } }
    },
  }
}

function checkToken(auth: string | null): string {
  if (auth === null || auth === '') {
    throw new OtpWalletError('UNAUTHENTICATED', 'No app-login token: getAuthToken returned nothing')
  }
  // A header value with control characters would make fetch throw a TypeError that looks like a network failure.
  if (typeof auth !== 'string' || auth.length > MAX_TOKEN_LENGTH || /[\x00-\x1f\x7f]/.test(auth)) {
    throw new OtpWalletError('INVALID_REQUEST', 'auth: not a usable bearer token', { details: { field: 'auth' } })
  }
  return auth
}

function errorFromBody(json: unknown, status: number): OtpWalletError {
  const error = isRecord(json) ? json.error : undefined
  if (isRecord(error) && isErrorCode(error.code) && typeof error.message === 'string') {
    const details = { ...plainDetails(error.details), status }
    return new OtpWalletError(error.code, error.message, { details })
  }
  if (status === 401) return new OtpWalletError('UNAUTHENTICATED', 'The backend refused the app-login token', { details: { status } })
  return new OtpWalletError('BACKEND_ERROR', `The backend answered HTTP ${status}`, { details: { status } })
}

/** Keeps only primitive detail values, so nothing unexpected crosses to the host. */
function plainDetails(value: unknown): ErrorDetails {
  const out: ErrorDetails = {}
  if (!isRecord(value)) return out
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[key] = v
  }
  return out
}

function isChallengeResponse(v: unknown): v is ChallengeResponse {
  return (
    isRecord(v) &&
    typeof v.challengeId === 'string' &&
    v.challengeId.length > 0 &&
    typeof v.emailHint === 'string' &&
    (v.codeFormat === 'digits' || v.codeFormat === 'alphanumeric') &&
    isCount(v.codeLength) &&
    v.codeLength > 0 &&
    isCount(v.attemptsLeft) &&
    isTime(v.expiresAt) &&
    isTime(v.resendAfter) &&
    isTime(v.serverTime)
  )
}

/** Both limits are required: without them init cannot refuse a session the backend would refuse. */
function isSessionLimits(v: unknown): v is WalletResponse['session'] {
  return isRecord(v) && isCount(v.ttlSeconds) && isCount(v.maxTtlSeconds) && v.ttlSeconds <= v.maxTtlSeconds
}

function checksumAddress(value: unknown): string {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value)) throw malformed('wallet')
  try {
    return getAddress(value)
  } catch {
    throw malformed('wallet') // mixed case with a wrong checksum: a corrupted answer
  }
}

function isSealedGrant(v: unknown): v is SealedGrant {
  return isRecord(v) && typeof v.enc === 'string' && typeof v.ciphertext === 'string'
}

function malformed(what: string): OtpWalletError {
  return new OtpWalletError('BACKEND_ERROR', `The backend's ${what} answer is malformed`, { details: { status: 200 } })
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
