/**
 * HTTP plumbing of the backend: JSON responses, error bodies, CORS for the one vault origin,
 * method and body-size refusals, and bounded JSON body reading.
 *
 * Error bodies are `{ error: { code, message, details? } }` (see src/protocol/backend.ts), built
 * only from OtpWalletError: never a stack, never an unexpected error's message.
 */
import { OtpWalletError, type ErrorCode, type ErrorDetails } from '../protocol/errors.js'

/** Request bodies above this are refused (413) without being read past it. */
export const MAX_BODY_BYTES = 16 * 1024

/** The only methods the backend answers; anything else (HEAD, PUT, TRACE…) is 405. */
export const ALLOWED_METHODS: ReadonlySet<string> = new Set(['GET', 'POST', 'OPTIONS'])
export const ALLOW_HEADER = 'GET, POST, OPTIONS'

const DEFAULT_STATUS: Partial<Record<ErrorCode, number>> = {
  INVALID_REQUEST: 400,
  OTP_INVALID: 400,
  UNAUTHENTICATED: 401,
  ORIGIN_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  OTP_EXPIRED: 410,
  OTP_ATTEMPTS_EXCEEDED: 429,
  OTP_RATE_LIMITED: 429,
  MAIL_FAILED: 502,
}

const statusOf = new WeakMap<OtpWalletError, number>()

/** An OtpWalletError that answers with `status` instead of its code's usual one. */
export function httpError(status: number, code: ErrorCode, message: string, details?: ErrorDetails): OtpWalletError {
  const error = new OtpWalletError(code, message, details === undefined ? {} : { details })
  statusOf.set(error, status)
  return error
}

export function httpStatusOf(error: OtpWalletError): number {
  return statusOf.get(error) ?? DEFAULT_STATUS[error.code] ?? 500
}

const BASE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'application/json; charset=utf-8',
  // Grants carry key material (sealed); nothing here may be cached by anyone.
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  Vary: 'Origin',
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...BASE_HEADERS, ...headers } })
}

export function errorResponse(error: OtpWalletError, headers: Record<string, string> = {}): Response {
  const extra = { ...headers }
  const retry = error.details?.retryAfterSeconds
  if (typeof retry === 'number') extra['Retry-After'] = String(retry)
  return jsonResponse(httpStatusOf(error), { error: error.toJSON() }, extra)
}

export function internalErrorResponse(headers: Record<string, string> = {}): Response {
  return jsonResponse(500, { error: { code: 'INTERNAL', message: 'Internal error' } }, headers)
}

/**
 * 405 for a method the backend never answers, before any other check: the same JSON error from
 * the fetch handler and from the node adapter (which answers before building a fetch Request:
 * that constructor throws on TRACE, CONNECT and TRACK).
 */
export function methodNotAllowedResponse(method: string): Response {
  const shown = /^[A-Za-z-]{1,20}$/.test(method) ? method : 'this method'
  return errorResponse(httpError(405, 'INVALID_REQUEST', `method: ${shown} is not supported; use ${ALLOW_HEADER}`, { field: 'method' }), {
    Allow: ALLOW_HEADER,
  })
}

/** CORS headers for a request from the allowed vault origin (empty for requests without Origin). */
export function corsHeaders(requestOrigin: string | null, vaultOrigin: string): Record<string, string> {
  return requestOrigin === vaultOrigin ? { 'Access-Control-Allow-Origin': vaultOrigin } : {}
}

const PREFLIGHT_ALLOW = {
  'Access-Control-Allow-Methods': 'GET, POST',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type',
}

/** 204 for the vault origin's preflights (and for requests without Origin: no CORS headers). */
export function preflightResponse(vaultOrigin: string | null): Response {
  const headers: Record<string, string> = { Vary: 'Origin', 'Cache-Control': 'no-store', Allow: ALLOW_HEADER }
  if (vaultOrigin !== null) {
    Object.assign(headers, { 'Access-Control-Allow-Origin': vaultOrigin, ...PREFLIGHT_ALLOW, 'Access-Control-Max-Age': '600' })
  }
  return new Response(null, { status: 204, headers })
}

/** A request Origin we may echo: visible ASCII, bounded (Headers already refuses CR/LF). */
function echoableOrigin(origin: string): boolean {
  return origin.length <= 2048 && /^[\x21-\x7e]+$/.test(origin)
}

/**
 * A request from an origin other than the vault's.
 *
 * The 403 carries `Access-Control-Allow-Origin: <that origin>` so the caller's browser lets the
 * page READ it: a developer whose vault is deployed on the wrong origin then sees
 * ORIGIN_NOT_ALLOWED instead of an opaque network error. A preflight from such an origin gets
 * a 204 with the same echo and the allow lists, because a browser drops any preflight whose
 * status is not 2xx (Fetch standard, CORS-preflight fetch) and would never send the request
 * whose readable 403 we want it to get.
 *
 * Why that is harmless: the only thing this lets a foreign page read is this fixed 403 body
 * ("this origin may not call the wallet API"), which it could learn with curl anyway. The origin
 * check runs first for every request that carries an Origin (browsers always send one on
 * cross-origin requests), so from a foreign origin no authenticate call, no route, no store
 * read, no mail ever runs — whether or not the preflight succeeded. No
 * `Access-Control-Allow-Credentials` is sent, so a cookie-carrying request's answer stays
 * unreadable, and a preflight's answer has no side effect at all. Only this refusal is exposed.
 */
export function originRefusedResponse(origin: string, isPreflight: boolean): Response {
  if (!echoableOrigin(origin)) return errorResponse(httpError(403, 'ORIGIN_NOT_ALLOWED', 'This origin may not call the wallet API'))
  const echo = { 'Access-Control-Allow-Origin': origin }
  if (isPreflight) {
    // No Max-Age: this preflight grants nothing worth caching.
    const headers = { Vary: 'Origin', 'Cache-Control': 'no-store', Allow: ALLOW_HEADER, ...echo, ...PREFLIGHT_ALLOW }
    return new Response(null, { status: 204, headers })
  }
  return errorResponse(httpError(403, 'ORIGIN_NOT_ALLOWED', 'This origin may not call the wallet API'), echo)
}

/** 413 with the same JSON error wherever a body is too large: declared, streamed, or in the adapter. */
export function bodyTooLarge(maxBytes: number): OtpWalletError {
  return httpError(413, 'INVALID_REQUEST', `body: larger than ${maxBytes} bytes`, { field: 'body' })
}

/** True when `Content-Length` is present and above `maxBytes` (or not a number): refuse unread. */
export function declaresTooLargeBody(contentLength: string | null | undefined, maxBytes: number): boolean {
  if (contentLength === null || contentLength === undefined) return false
  return !/^\d+$/.test(contentLength.trim()) || Number(contentLength) > maxBytes
}

function badBody(message: string): OtpWalletError {
  return new OtpWalletError('INVALID_REQUEST', `body: ${message}`, { details: { field: 'body' } })
}

/** Reads at most `maxBytes` of the body; more is refused (413) without buffering it. */
async function readBounded(request: Request, maxBytes: number): Promise<Uint8Array> {
  if (declaresTooLargeBody(request.headers.get('content-length'), maxBytes)) throw bodyTooLarge(maxBytes)
  if (request.body === null) return new Uint8Array(0)
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.length
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw bodyTooLarge(maxBytes)
    }
    chunks.push(value)
  }
  const out = new Uint8Array(total)
  let offset = 0
  for (const c of chunks) {
    out.set(c, offset)
    offset += c.length
  }
  return out
}

/**
 * Parses a JSON object body. INVALID_REQUEST (field `body`): 400 for a wrong content type,
 * invalid UTF-8 or JSON, or JSON that is not an object; 413 for a body above `maxBytes`.
 * Routes call it only after authentication and routing, so nobody unauthenticated gets a
 * body read.
 */
export async function readJsonObject(request: Request, maxBytes = MAX_BODY_BYTES): Promise<Record<string, unknown>> {
  const type = request.headers.get('content-type') ?? ''
  if (!/^application\/json\s*(;|$)/i.test(type)) throw badBody('expected Content-Type: application/json')
  const bytes = await readBounded(request, maxBytes)
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw badBody('not valid JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badBody('expected a JSON object')
  return value as Record<string, unknown>
}
