/** Small validators for RPC params: each failure is INVALID_REQUEST naming the field. */
import { OtpWalletError } from '../src/protocol/errors.js'
import type { MethodParams, UiMode } from '../src/protocol/messages.js'

/** Longest session the vault will ask for (the backend applies its own limit as well). */
export const MAX_SESSION_TTL_SECONDS = 365 * 24 * 60 * 60

export function invalidField(field: string, message: string): OtpWalletError {
  return new OtpWalletError('INVALID_REQUEST', `${field}: ${message}`, { details: { field } })
}

/** The params object itself; a method's fields are read from it. */
export function paramsRecord(params: unknown): Record<string, unknown> {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw invalidField('params', 'expected an object')
  return params as Record<string, unknown>
}

export function parseInitParams(params: unknown): MethodParams<'init'> {
  const p = paramsRecord(params)
  const { chainId, ui, sessionTtlSeconds } = p
  if (chainId !== null && !(typeof chainId === 'number' && Number.isSafeInteger(chainId) && chainId > 0)) {
    throw invalidField('chainId', 'expected a positive integer or null')
  }
  if (ui !== 'vault' && ui !== 'headless') throw invalidField('ui', "expected 'vault' or 'headless'")
  if (
    sessionTtlSeconds !== null &&
    !(typeof sessionTtlSeconds === 'number' && Number.isSafeInteger(sessionTtlSeconds) && sessionTtlSeconds >= 0 && sessionTtlSeconds <= MAX_SESSION_TTL_SECONDS)
  ) {
    throw invalidField('sessionTtlSeconds', `expected an integer from 0 to ${MAX_SESSION_TTL_SECONDS}, or null`)
  }
  return { chainId, ui: ui as UiMode, sessionTtlSeconds }
}
