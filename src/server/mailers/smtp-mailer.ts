/**
 * Sends codes over SMTP with nodemailer: a plain-text part and a simple HTML part that name
 * the requesting site, say when the code expires, and tell the user never to share it.
 */
import nodemailer from 'nodemailer'
import { OtpWalletError } from '../../protocol/errors.js'
import type { CodeMessage, Mailer } from './mailer.js'

export interface SmtpMailerOptions {
  host: string
  port: number
  /** TLS from the first byte (port 465). Default: true for port 465, else false (STARTTLS when offered). */
  secure?: boolean
  /** Refuse to send unless the server upgrades with STARTTLS. Default false. */
  requireTLS?: boolean
  auth?: { user: string; pass: string }
  /** Sender, e.g. `"My dApp" <no-reply@mydapp.example>`. */
  from: string
  /** Connection, greeting and socket timeout in ms. Default 15000. */
  timeoutMs?: number
}

function invalid(field: string, message: string): OtpWalletError {
  return new OtpWalletError('INVALID_CONFIG', `smtp.${field}: ${message}`, { details: { field: `smtp.${field}` } })
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

function humanDuration(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} minutes`
  const hours = Math.round(seconds / 3600)
  return hours === 1 ? '1 hour' : `${hours} hours`
}

/** "14:05 UTC on 2025-01-31" */
function utcTime(ms: number): string {
  const iso = new Date(ms).toISOString()
  return `${iso.slice(11, 16)} UTC on ${iso.slice(0, 10)}`
}

/** Subject, text and HTML of a code email. Exported for tests and for custom mailers. */
export function renderCodeEmail(message: CodeMessage): { subject: string; text: string; html: string } {
  const { code, siteName } = message
  const expiry = `It expires in ${humanDuration(message.ttlSeconds)}, at ${utcTime(message.expiresAt)}.`
  const never = `Never share this code with anyone. ${siteName} will never ask you for it by phone, chat or email.`
  const notYou = 'If you did not request it, someone may be trying to use your account: do not share it, and you can ignore this email.'
  const subject = `Your ${siteName} verification code`
  const text = [`Your verification code for ${siteName} is:`, '', `    ${code}`, '', expiry, '', never, notYou, ''].join('\n')
  const site = escapeHtml(siteName)
  const html = `<!doctype html>
<html><body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#111;line-height:1.5">
<p>Your verification code for <strong>${site}</strong> is:</p>
<p style="font-family:ui-monospace,Menlo,Consolas,monospace;font-size:28px;letter-spacing:4px;font-weight:600">${escapeHtml(code)}</p>
<p>${escapeHtml(expiry)}</p>
<p><strong>Never share this code with anyone.</strong> ${site} will never ask you for it by phone, chat or email.</p>
<p style="color:#555">${escapeHtml(notYou)}</p>
</body></html>
`
  return { subject, text, html }
}

/**
 * @example
 * const mailer = createSmtpMailer({ host: 'smtp.example.com', port: 587, auth: { user, pass }, from: '"My dApp" <no-reply@mydapp.example>' })
 */
export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'expected { host, port, from, ... }')
  if (typeof options.host !== 'string' || options.host === '') throw invalid('host', 'expected a host name')
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65_535) throw invalid('port', 'expected an integer from 1 to 65535')
  if (typeof options.from !== 'string' || !options.from.includes('@') || /[\r\n]/.test(options.from)) {
    throw invalid('from', 'expected a sender address such as "My dApp" <no-reply@mydapp.example>')
  }
  if (options.auth !== undefined && (typeof options.auth.user !== 'string' || typeof options.auth.pass !== 'string')) {
    throw invalid('auth', 'expected { user, pass } strings')
  }
  const timeout = options.timeoutMs ?? 15_000
  if (!Number.isInteger(timeout) || timeout < 1) throw invalid('timeoutMs', 'expected a positive integer')

  const transport = nodemailer.createTransport({
    host: options.host,
    port: options.port,
    secure: options.secure ?? options.port === 465,
    requireTLS: options.requireTLS ?? false,
    ...(options.auth === undefined ? {} : { auth: { user: options.auth.user, pass: options.auth.pass } }),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  })

  return {
    async sendCode(message) {
      if (/[\r\n]/.test(message.to) || /[\r\n]/.test(message.siteName)) throw new Error('refusing a header with a line break')
      const { subject, text, html } = renderCodeEmail(message)
      await transport.sendMail({ from: options.from, to: message.to, subject, text, html })
    },
    close() {
      transport.close()
    },
  }
}
