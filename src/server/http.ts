/**
 * HTTP plumbing of the backend: JSON responses, error bodies, CORS for the one vault origin,
 * and bounded JSON body reading.
 *
 * Error bodies are `{ error: { code, message, details? } }` (see src/protocol/backend.ts), built
 * only from OtpWalletError: never a stack, never an unexpected error's message.
 */
import { OtpWalletError, type ErrorCode, type ErrorDetails } from '../protocol/errors.js'

/** Request bodies above this are refused before parsing. */
export const MAX_BODY_BYTES = 16 * 1024

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

/** CORS headers for a request from the allowed vault origin (empty for requests without Origin). */
export function corsHeaders(requestOrigin: string | null, vaultOrigin: string): Record<string, string> {
  return requestOrigin === vaultOrigin ? { 'Access-Control-Allow-Origin': vaultOrigin } : {}
}

export function preflightResponse(vaultOrigin: string | null): Response {
  const headers: Record<string, string> = { Vary: 'Origin', 'Cache-Control': 'no-store', Allow: 'GET, POST, OPTIONS' }
  if (vaultOrigin !== null) {
    headers['Access-Control-Allow-Origin'] = vaultOrigin
    headers['Access-Control-Allow-Methods'] = 'GET, POST'
    headers['Access-Control-Allow-Headers'] = 'Authorization, Content-Type'
    headers['Access-Control-Max-Age'] = '600'
  }
  return new Response(null, { status: 204, headers })
}

function badBody(message: string): OtpWalletError {
  return new OtpWalletError('INVALID_REQUEST', `body: ${message}`, { details: { field: 'body' } })
}

/** Reads at most `maxBytes` of the body; more is refused without buffering it. */
async function readBounded(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length')
  if (declared !== null && (!/^\d+$/.test(declared) || Number(declared) > maxBytes)) throw badBody(`larger than ${maxBytes} bytes`)
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
      throw badBody(`larger than ${maxBytes} bytes`)
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
 * Parses a JSON object body. INVALID_REQUEST (field `body`) for a wrong content type, an
 * oversized body, invalid UTF-8 or JSON, or JSON that is not an object.
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
