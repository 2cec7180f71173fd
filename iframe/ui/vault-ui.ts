/**
 * The two ways a round is shown (see otp/otp-flow.ts `OtpUi`):
 * - vault: the vault's own prompt; `ui:open` when it appears, `ui:close` when it goes, each
 *   sent once per opening, so a single-use follow-up round does not flicker the overlay.
 * - headless: `otp_required` per challenge; the host answers with otp.submit/resend/cancel.
 *   A resend does not re-send `otp_required` (the otp.resend result carries the new times), and
 *   an expiry sends nothing (the host has `expiresAt`; otp.submit then rejects OTP_EXPIRED).
 *   A switch to another tab's newer code does send `otp_required` again, with that code's data.
 *   The flow never opens a headless round without a code (a rate limit rejects instead).
 */
import type { OtpUi } from '../otp/otp-flow.js'
import type { EventSender } from '../rpc-server.js'
import type { CodePrompt } from './code-prompt.js'

export function createVaultUi(prompt: CodePrompt, events: EventSender): OtpUi {
  let visible = false
  return {
    open(data) {
      prompt.show(data)
      if (!visible) events.emit('ui:open', {})
      visible = true
    },
    openWaiting(retryAfterSeconds) {
      prompt.showWaiting(retryAfterSeconds)
      if (!visible) events.emit('ui:open', {})
      visible = true
    },
    update(data) {
      prompt.update(data)
    },
    switched(data) {
      prompt.switched(data)
    },
    expired() {
      prompt.expired()
    },
    close() {
      prompt.hide()
      if (visible) events.emit('ui:close', {})
      visible = false
    },
  }
}

export function createHeadlessUi(events: EventSender): OtpUi {
  return {
    open: (data) => events.emit('otp_required', data),
    openWaiting: () => {},
    update: () => {},
    // The host still shows the superseded code's prompt: this is a new code to ask for.
    switched: (data) => events.emit('otp_required', data),
    expired: () => {},
    close: () => {},
  }
}
