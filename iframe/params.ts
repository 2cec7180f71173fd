/** Small validators for RPC params: each failure is INVALID_REQUEST naming the field. */
import { OtpWalletError } from '../src/protocol/errors.js'
import type { MethodParams, UiMode } from '../src/protocol/messages.js'
import { isPlainObject } from './signing/validate.js'

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

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/

/**
 * ethers and eth_sendTransaction put `from` in a transaction. The vault signs only as its own
 * wallet, so `from` is accepted when it is that address (hex compared in any letter case: a
 * lowercase `from` from an RPC library is common) and removed before normalizeTransaction, which
 * knows no `from`. Any other `from` is refused: the dApp meant another account. `null` is absent.
 *
 * @example
 * normalizeTransaction(withoutFrom(params.transaction, state.address), chainId)
 */
export function withoutFrom(tx: unknown, address: string): unknown {
  if (!isPlainObject(tx) || !Object.prototype.hasOwnProperty.call(tx, 'from')) return tx
  const { from, ...rest } = tx
  if (from === null || from === undefined) return rest
  if (typeof from !== 'string' || !ADDRESS_RE.test(from)) throw invalidField('from', 'expected a 0x-prefixed 20-byte hex address')
  if (from.toLowerCase() !== address.toLowerCase()) throw invalidField('from', `not this wallet's address (${address})`)
  return rest
}
