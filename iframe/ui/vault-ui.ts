/**
 * The two ways a round is shown (see otp/otp-flow.ts `OtpUi`):
 * - vault: the vault's own prompt; `ui:open` when it appears, `ui:close` when it goes, each
 *   sent once per opening, so a single-use follow-up round does not flicker the overlay.
 * - headless: `otp_required` per challenge; the host answers with otp.submit/resend/cancel.
 *   A resend does not re-send `otp_required` (the otp.resend result carries the new times).
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
    update(data) {
      prompt.update(data)
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
    update: () => {},
    close: () => {},
  }
}
