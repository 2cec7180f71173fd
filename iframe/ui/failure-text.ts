/** What the prompt says when something fails. */
import { OtpWalletError, otpExpiredReason } from '../../src/protocol/errors.js'
import { formatWait } from './format-wait.js'

/** Longer than any resend cooldown the prompt should call "a moment". */
const LONG_WAIT_SECONDS = 120

/** Fixed texts: a backend message is not shown to the user verbatim. */
export function failureText(error: unknown): string {
  const code = error instanceof OtpWalletError ? error.code : null
  switch (code) {
    case 'OTP_INVALID':
      return 'That code is not right. Check the email and try again.'
    case 'OTP_RATE_LIMITED': {
      // A long wait is the daily limit, not the resend cooldown: "a moment" would mislead.
      const seconds = (error as OtpWalletError).details?.retryAfterSeconds
      if (typeof seconds === 'number' && seconds > LONG_WAIT_SECONDS) {
        return `Too many codes were requested. You can ask for another in ${formatWait(seconds)}.`
      }
      return 'Too many codes were requested. Wait a moment before asking for another.'
    }
    case 'OTP_EXPIRED':
      return expiredText(error, false)
    case 'UNAUTHENTICATED':
      return 'Your login has expired. Sign in again, then retry.'
    case 'MAIL_FAILED':
      return 'The email could not be sent. Try again.'
    case 'BACKEND_ERROR':
      return 'The server could not be reached. Try again.'
    default:
      return 'Something went wrong. Try again.'
  }
}

/**
 * OTP_EXPIRED, worded by why the code stopped working: `details.reason` 'used' (by another
 * tab), 'superseded' (a newer code was requested by another tab), else expired. `newerShown`
 * says whether the prompt now waits for that newer code or offers Resend.
 */
export function expiredText(error: unknown, newerShown: boolean): string {
  const reason = otpExpiredReason(error)
  // Single use: two tabs can wait on one code, and the other tab used it.
  if (reason === 'used') return 'This code was already used, perhaps in another tab. Ask for a new one.'
  if (reason !== 'superseded') return 'This code has expired. Ask for a new one.'
  return newerShown
    ? 'Another tab asked for a new code. Enter the code from the latest email.'
    : 'Another tab asked for a new code. Use that tab, or ask for a new one here.'
}
