/**
 * Parsing of integer quantities as dApps send them (the `Numberish` of src/protocol/messages.ts).
 *
 * Accepted:  bigint · safe integer number · decimal string `"42"` · 0x-hex string `"0x2a"`.
 * Refused:   anything else, including `""`, `"0x"`, `"42abc"`, `"1e3"`, `"1.5"`, `"+1"`, `"0X2a"`,
 *            `"0b101"`, `"1_000"`, whitespace-padded strings (`" 42"`), fractional, NaN, infinite
 *            and unsafe numbers (above 2^53 - 1 a JS number may already be rounded: `1e20` from
 *            JSON is not the integer the dApp meant), booleans, null, and values out of range.
 *
 * Whitespace is refused on purpose: `BigInt(" 42 ")` accepts it, but a JSON-RPC QUANTITY never has
 * it, and lenient coercions are how unexpected values slip through. Leading zeros (`"007"`,
 * `"0x002a"`) are accepted: they are unambiguous (no octal) and wallets commonly receive padded
 * hex. Negative values (`-42`, `"-42"`, `"-0x2a"`) are accepted only with `signed: true`.
 */
import { invalid } from './validate.js'

export interface QuantityOptions {
  /** Width in bits of the target integer type; 256 unless given (1–256). */
  bits?: number
  /** Two's complement range (`intN`) instead of unsigned (`uintN`). */
  signed?: boolean
}

const DECIMAL_RE = /^-?[0-9]+$/
const HEX_RE = /^-?0x[0-9a-fA-F]+$/
/** 2^256 is 78 decimal digits; leave room for leading zeros, but not for megabyte strings. */
const MAX_STRING_LENGTH = 100

/**
 * Parses an integer quantity, refusing anything ambiguous, with `INVALID_REQUEST` naming `field`.
 *
 * @example
 * parseQuantity('0x2a', 'nonce')                      // 42n
 * parseQuantity(42, 'value')                          // 42n
 * parseQuantity('-1', 'message.delta', { bits: 8, signed: true }) // -1n
 * parseQuantity('42abc', 'value')                     // throws INVALID_REQUEST, details.field 'value'
 */
export function parseQuantity(value: unknown, field: string, opts: QuantityOptions = {}): bigint {
  const bits = opts.bits ?? 256
  const signed = opts.signed === true
  if (!Number.isInteger(bits) || bits < 1 || bits > 256) throw new RangeError(`parseQuantity: bad bits ${bits}`)
  const kind = signed ? `int${bits}` : `uint${bits}`

  let parsed: bigint
  if (typeof value === 'bigint') {
    parsed = value
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw invalid(field, 'expected a safe integer number; send larger values as a bigint or string')
    }
    parsed = BigInt(value)
  } else if (typeof value === 'string') {
    parsed = parseIntegerString(value, field, signed)
  } else {
    throw invalid(field, 'expected an integer as bigint, number, decimal string or 0x-hex string')
  }

  if (!signed && parsed < 0n) throw invalid(field, `expected a non-negative integer (${kind})`)
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n
  if (parsed > max || parsed < min) throw invalid(field, `value out of range for ${kind}`)
  return parsed
}

function parseIntegerString(value: string, field: string, signed: boolean): bigint {
  if (value.length > MAX_STRING_LENGTH) throw invalid(field, 'integer string too long')
  const negative = value.startsWith('-')
  if (negative && !signed) throw invalid(field, 'expected a non-negative integer')
  if (DECIMAL_RE.test(value) || HEX_RE.test(value)) {
    const magnitude = BigInt(negative ? value.slice(1) : value)
    return negative ? -magnitude : magnitude
  }
  throw invalid(field, 'expected a decimal string ("42") or 0x-hex string ("0x2a")')
}
