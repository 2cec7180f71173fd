import { describe, expect, it } from 'vitest'
import { OtpWalletError, otpExpiredReason } from '../../../src/protocol/errors.js'

describe('otpExpiredReason', () => {
  it('reads the reason of an OTP_EXPIRED error', () => {
    for (const reason of ['expired', 'used', 'superseded', 'not_found'] as const) {
      expect(otpExpiredReason(new OtpWalletError('OTP_EXPIRED', 'x', { details: { reason } }))).toBe(reason)
    }
  })
  it('is null for an unknown reason, no reason, another code, or not an OtpWalletError', () => {
    expect(otpExpiredReason(new OtpWalletError('OTP_EXPIRED', 'x', { details: { reason: 'gone' } }))).toBeNull()
    expect(otpExpiredReason(new OtpWalletError('OTP_EXPIRED', 'x'))).toBeNull()
    expect(otpExpiredReason(new OtpWalletError('OTP_INVALID', 'x', { details: { reason: 'superseded' } }))).toBeNull()
    expect(otpExpiredReason({ code: 'OTP_EXPIRED', details: { reason: 'superseded' } })).toBeNull()
  })
})
