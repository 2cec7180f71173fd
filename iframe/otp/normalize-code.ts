/**
 * One-time codes as people paste them: "123 456", "123-456", " ab-cd ". Codes are STRINGS
 * from end to end — never numbers, which would drop leading zeros.
 */
import { OtpWalletError } from '../../src/protocol/errors.js'
import type { OtpRequiredData } from '../../src/protocol/messages.js'

/** Removes whitespace and dashes (ASCII and Unicode dashes); upper-cases alphanumerics. */
export function normalizeCode(raw: string, codeFormat: OtpRequiredData['codeFormat']): string {
  const stripped = raw.replace(/[\s\-\u2010-\u2015\u2212]/g, '')
  return codeFormat === 'alphanumeric' ? stripped.toUpperCase() : stripped
}

/** True when `code` (already normalized) has the challenge's length and alphabet. */
export function isWellFormedCode(code: string, format: OtpRequiredData['codeFormat'], length: number): boolean {
  const alphabet = format === 'digits' ? /^[0-9]+$/ : /^[0-9A-Z]+$/
  return code.length === length && alphabet.test(code)
}

/**
 * Normalizes and checks a code before it costs an attempt at the backend.
 * Throws INVALID_REQUEST (field `code`) when it cannot be right.
 *
 * @example
 * checkCode('012-345', { codeFormat: 'digits', codeLength: 6 }) // '012345'
 */
export function checkCode(raw: unknown, challenge: Pick<OtpRequiredData, 'codeFormat' | 'codeLength'>): string {
  if (typeof raw !== 'string') {
    throw new OtpWalletError('INVALID_REQUEST', 'code: expected a string', { details: { field: 'code' } })
  }
  const code = normalizeCode(raw, challenge.codeFormat)
  if (!isWellFormedCode(code, challenge.codeFormat, challenge.codeLength)) {
    const kind = challenge.codeFormat === 'digits' ? 'digits' : 'letters or digits'
    throw new OtpWalletError('INVALID_REQUEST', `code: expected ${challenge.codeLength} ${kind}`, { details: { field: 'code' } })
  }
  return code
}
