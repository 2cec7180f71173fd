/**
 * How the backend delivers a code. `createSmtpMailer` is the built-in one; any object with
 * `sendCode` works (an email API, a test double that records codes).
 */

export interface CodeMessage {
  /** The authenticated user's email address. */
  to: string
  /** The code, exactly as the user must type it (a string: leading zeros matter). */
  code: string
  codeFormat: 'digits' | 'alphanumeric'
  /** The requesting site, named in the message so users can spot phishing. */
  siteName: string
  /** When the code stops working, ms since the epoch. */
  expiresAt: number
  /** Lifetime of the code in seconds (for "expires in 10 minutes"). */
  ttlSeconds: number
}

export interface Mailer {
  /** Sends the code; throws when it could not be handed to the mail system (→ 502 MAIL_FAILED). */
  sendCode(message: CodeMessage): Promise<void>
  /** Releases connections; called by the server's close(). */
  close?(): void
}
