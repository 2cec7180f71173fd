/**
 * One-time codes: generated with a CSPRNG by rejection sampling (no modulo bias), kept as
 * strings end to end (leading zeros are part of the code), normalized the way people type them.
 */

export type CodeFormat = 'digits' | 'alphanumeric'

export const DIGITS_ALPHABET = '0123456789'
/** Upper-case letters and digits without look-alikes (no 0/O, 1/I/L). 31 symbols. */
export const ALPHANUMERIC_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'

/** Longest input `normalizeCode` looks at; a code is at most 12 symbols plus separators. */
const MAX_TYPED_LENGTH = 64

export function codeAlphabet(format: CodeFormat): string {
  return format === 'alphanumeric' ? ALPHANUMERIC_ALPHABET : DIGITS_ALPHABET
}

export type RandomBytes = (length: number) => Uint8Array

const cryptoRandomBytes: RandomBytes = (length) => crypto.getRandomValues(new Uint8Array(length))

/**
 * A uniformly random code of `length` symbols.
 *
 * Rejection sampling: a random byte b is used only when b < 256 − (256 mod n), the largest
 * multiple of the alphabet size n; then b mod n is exactly uniform. (For digits, bytes
 * 250–255 are discarded; for the 31-symbol alphabet, 248–255.)
 *
 * @example
 * generateCode('digits', 6) // '042917'
 */
export function generateCode(format: CodeFormat, length: number, randomBytes: RandomBytes = cryptoRandomBytes): string {
  if (!Number.isInteger(length) || length < 1 || length > 64) throw new RangeError('code length out of range')
  const alphabet = codeAlphabet(format)
  const n = alphabet.length
  const limit = 256 - (256 % n)
  let code = ''
  while (code.length < length) {
    const batch = randomBytes(2 * (length - code.length))
    for (const b of batch) {
      if (b >= limit) continue
      code += alphabet[b % n]
      if (code.length === length) break
    }
    batch.fill(0)
  }
  return code
}

/** Strips whitespace and dashes (ASCII and Unicode) and upper-cases: "ab3-k9x" → "AB3K9X". */
export function normalizeCode(typed: string): string {
  return typed.slice(0, MAX_TYPED_LENGTH).replace(/[\s\-\u2010-\u2015\u2212]/g, '').toUpperCase()
}

/** True when a normalized code has the configured length and only symbols of the alphabet. */
export function isWellFormedCode(code: string, format: CodeFormat, length: number): boolean {
  if (code.length !== length) return false
  const alphabet = codeAlphabet(format)
  for (const c of code) if (!alphabet.includes(c)) return false
  return true
}
