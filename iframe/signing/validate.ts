/**
 * Small named asserts shared by the signing normalizers.
 *
 * Everything here runs on values that arrived from the host page by postMessage, so nothing is
 * trusted: every failure is an `INVALID_REQUEST` whose `details.field` names the offending field.
 */
import { getAddress } from 'ethers/address'
import { bytesToHex } from '../../src/crypto/bytes.js'
import { OtpWalletError } from '../../src/protocol/errors.js'

/** Builds the one refusal this module throws: `INVALID_REQUEST` naming `field`. */
export function invalid(field: string, message: string): OtpWalletError {
  return new OtpWalletError('INVALID_REQUEST', `${field}: ${message}`, { details: { field } })
}

/**
 * True for plain data objects (what JSON.parse and structured clone produce), false for arrays,
 * typed arrays, Maps, Dates and null. Uses the tag, not `instanceof`, so it holds across realms.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return Object.prototype.toString.call(value) === '[object Object]'
}

/** Uint8Array check that also holds across realms (a postMessage'd array belongs to the receiver). */
export function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array || (ArrayBuffer.isView(value) && value.constructor?.name === 'Uint8Array')
}

/** Reads an own property only: never a prototype getter such as `constructor` or `toString`. */
export function ownValue(record: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined
}

/** Refuses any own key of `record` outside `allowed`; the error names the first one. */
export function assertKnownKeys(record: Record<string, unknown>, allowed: ReadonlySet<string>, prefix: string): void {
  const unknown = Object.keys(record).filter((key) => !allowed.has(key))
  if (unknown.length === 0) return
  const field = prefix === '' ? unknown[0]! : `${prefix}.${unknown[0]!}`
  throw invalid(field, `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}`)
}

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/

/**
 * Parses a 20-byte address and returns its EIP-55 checksummed form.
 * All-lowercase and all-uppercase hex carry no checksum and are accepted; mixed case must be a
 * correct EIP-55 checksum (a mismatch usually means a typo, so it is refused). ICAP and
 * ENS names are refused: the vault has no resolver and signs only what it can check.
 */
export function parseAddress(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ADDRESS_RE.test(value)) {
    throw invalid(field, 'expected a 0x-prefixed 20-byte hex address')
  }
  try {
    return getAddress(value)
  } catch {
    throw invalid(field, 'bad EIP-55 address checksum')
  }
}

const HEX_RE = /^0x(?:[0-9a-fA-F]{2})*$/

/**
 * Parses byte data given as even-length 0x-hex (or, with `allowBytes`, a Uint8Array) and returns
 * lowercase 0x-hex. With `length`, exactly that many bytes are required.
 */
export function parseHexData(value: unknown, field: string, opts: { length?: number; allowBytes?: boolean } = {}): string {
  let hex: string
  if (typeof value === 'string' && HEX_RE.test(value)) hex = value.toLowerCase()
  else if (opts.allowBytes === true && isBytes(value)) hex = bytesToHex(value)
  else throw invalid(field, opts.allowBytes === true ? 'expected 0x-prefixed even-length hex or a Uint8Array' : 'expected 0x-prefixed even-length hex')
  const length = (hex.length - 2) / 2
  if (opts.length !== undefined && length !== opts.length) {
    throw invalid(field, `expected ${opts.length} bytes, got ${length}`)
  }
  return hex
}

const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * Refuses strings that are not well-formed UTF-16 (a lone surrogate): UTF-8 encoders would
 * silently replace it with U+FFFD, so the bytes signed would differ from the string shown.
 */
export function parseText(value: unknown, field: string): string {
  if (typeof value !== 'string') throw invalid(field, 'expected a string')
  if (LONE_SURROGATE_RE.test(value)) throw invalid(field, 'string contains a lone UTF-16 surrogate')
  return value
}
