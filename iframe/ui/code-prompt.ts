/**
 * The vault's own code prompt, drawn in the vault document (the SDK turns the whole iframe
 * into a visible overlay on `ui:open`). The code is typed into the vault's origin, so the host
 * page never sees it.
 *
 * Built with createElement/textContent only: `emailHint` comes from the backend and is never
 * parsed as HTML. Stable ids for tests and Playwright: #otp-prompt, #otp-form, #otp-code,
 * #otp-submit, #otp-resend, #otp-cancel, #otp-error, #otp-attempts, #otp-status.
 *
 * Behaviour: pasted "123 456" / "123-456" are accepted (spaces and dashes stripped, leading
 * zeros kept — codes are strings); a code of the wrong shape is refused locally so it does
 * not cost an attempt; wrong codes show the attempts left and keep the prompt; Resend shows
 * "Resend in 27s" until `resendAfter`; Cancel and Escape cancel; the input gets focus, and focus
 * stays in the dialog (focus-trap.ts). No auto-submit: submitting is always Verify or Enter.
 *
 * Two more states:
 * - expired (expired(), or a submit refused OTP_EXPIRED): "This code has expired. Ask for a new
 *   one." (or that another tab asked for a new code) and Resend enabled at once; a code typed
 *   after expiry is not sent anywhere. When the flow switched to another tab's newer code
 *   instead (switched() before the refusal), the prompt asks for the code from the latest email.
 * - waiting (showWaiting(s), when no code could be sent yet because of a rate limit): "You can
 *   request a new code in N s", the input disabled, Resend counting down. update() ends it.
 */
import { OtpWalletError, otpExpiredReason } from '../../src/protocol/errors.js'
import type { OtpRequiredData } from '../../src/protocol/messages.js'
import { isWellFormedCode, normalizeCode } from '../otp/normalize-code.js'
import { systemClock, type Clock } from '../session/clock.js'
import { expiredText, failureText } from './failure-text.js'
import { formatWait } from './format-wait.js'
import { trapFocus, type FocusTrap } from './focus-trap.js'
import { buildPromptElements, type PromptElements } from './prompt-elements.js'

export interface CodePromptActions {
  /** Verifies the (normalized) code; rejects with the reason when it was not accepted. */
  submit(code: string): Promise<void>
  resend(): Promise<unknown>
  cancel(): void
}

export interface CodePrompt {
  show(data: OtpRequiredData): void
  /** Opens with no code yet (rate limited): Resend counts down from `retryAfterSeconds`. */
  showWaiting(retryAfterSeconds: number): void
  /** New challenge after a resend: fresh attempts and countdown. */
  update(data: OtpRequiredData): void
  /** Another tab's newer code replaced this one: as update(), but the typed code stays, to be sent again. */
  switched(data: OtpRequiredData): void
  /** The code expired: say so, enable Resend. */
  expired(): void
  hide(): void
}

/** Focus again shortly after opening: the host makes the frame visible only after `ui:open`. */
const REFOCUS_DELAY_MS = 120

/**
 * @example
 * const prompt = createCodePrompt(document, { submit: (c) => flow.submit(c, null, 'prompt'), resend, cancel })
 */
export function createCodePrompt(doc: Document, actions: CodePromptActions, clock: Clock = systemClock): CodePrompt {
  let el: PromptElements | null = null
  let trap: FocusTrap | null = null
  /** The current code's challenge; null while hidden or waiting for a first code. */
  let data: OtpRequiredData | null = null
  let resendAt = 0
  let tick: unknown = null
  let busy = false
  /** Told so by the flow (its timer, or the backend): the clock alone may not know it yet. */
  let codeExpired = false

  const elements = (): PromptElements => {
    if (el !== null) return el
    const e = buildPromptElements(doc)
    el = e
    e.form.addEventListener('submit', (event) => {
      event.preventDefault()
      void onSubmit()
    })
    e.resend.addEventListener('click', () => void onResend())
    e.cancel.addEventListener('click', () => actions.cancel())
    trap = trapFocus(doc, e.root, () => [e.input, e.submit, e.resend, e.cancel], () => actions.cancel())
    return e
  }

  const focusFirst = (): void => {
    elements()
    trap?.focusFirst()
  }

  const setBusy = (value: boolean): void => {
    busy = value
    const e = elements()
    e.form.setAttribute('aria-busy', String(value))
    e.input.readOnly = value
    // Without a code there is nothing to verify.
    e.submit.disabled = value || data === null
    e.submit.textContent = value ? 'Verifying…' : 'Verify'
    renderResend()
  }

  const say = (error: string, status = ''): void => {
    const e = elements()
    e.error.textContent = error
    e.status.textContent = status
    e.input.setAttribute('aria-invalid', String(error !== ''))
  }

  const renderAttempts = (): void => {
    if (data === null) return
    const n = data.attemptsLeft
    elements().attempts.textContent = `${n} ${n === 1 ? 'attempt' : 'attempts'} left`
  }

  const renderResend = (): void => {
    const e = elements()
    if (tick !== null) clock.clearTimeout(tick)
    tick = null
    const msLeft = resendAt - clock.now()
    if (msLeft > 0) {
      e.resend.disabled = true
      e.resend.textContent = `Resend in ${formatWait(msLeft / 1000)}`
      // Wake at the next whole-second boundary of the countdown.
      tick = clock.setTimeout(renderResend, msLeft % 1000 || 1000)
    } else {
      e.resend.disabled = busy
      e.resend.textContent = 'Resend code'
    }
  }

  const fill = (next: OtpRequiredData, keepTyped = false): void => {
    data = next
    resendAt = next.resendAfter
    const e = elements()
    e.label.textContent = `Enter the code we sent to ${next.emailHint}`
    e.input.inputMode = next.codeFormat === 'digits' ? 'numeric' : 'text'
    e.input.autocapitalize = next.codeFormat === 'digits' ? 'off' : 'characters'
    // Room for a separator between every character of a pasted code.
    e.input.maxLength = next.codeLength * 2 + 2
    if (!keepTyped) e.input.value = ''
    e.input.disabled = false
    codeExpired = false
    e.submit.disabled = busy
    renderAttempts()
    renderResend()
  }

  const isExpired = (): boolean => codeExpired || (data !== null && clock.now() >= data.expiresAt)

  /** Expired code: say so (why, when `error` tells) and let the user ask for a new one now (the backend still enforces its own cooldown). */
  const markExpired = (error?: unknown): void => {
    codeExpired = true
    resendAt = Math.min(resendAt, clock.now())
    say(expiredText(error, false))
    renderResend()
  }

  const onSubmit = async (): Promise<void> => {
    if (busy || data === null) return
    const current = data
    if (isExpired()) return markExpired()
    const code = normalizeCode(elements().input.value, current.codeFormat)
    if (!isWellFormedCode(code, current.codeFormat, current.codeLength)) {
      const kind = current.codeFormat === 'digits' ? 'digit' : 'character'
      say(`Enter the ${current.codeLength}-${kind} code from the email.`)
      elements().input.focus()
      return
    }
    say('')
    setBusy(true)
    try {
      await actions.submit(code)
      // Stay busy: the flow now either hides the prompt or shows the next round's code (single use).
      say('', 'Code accepted.')
    } catch (error) {
      setBusy(false)
      showFailure(error)
    }
  }

  const onResend = async (): Promise<void> => {
    if (busy || resendAt > clock.now()) return
    setBusy(true)
    try {
      await actions.resend()
    } catch (error) {
      showFailure(error)
    } finally {
      setBusy(false)
    }
  }

  const showFailure = (error: unknown): void => {
    if (error instanceof OtpWalletError && error.code === 'OTP_INVALID' && data !== null) {
      const left = error.details?.attemptsLeft
      if (typeof left === 'number') data = { ...data, attemptsLeft: left }
      renderAttempts()
      elements().input.select()
    }
    if (error instanceof OtpWalletError && error.code === 'OTP_RATE_LIMITED') {
      const seconds = error.details?.retryAfterSeconds
      // A duration from the backend is immune to clock skew, unlike its timestamps.
      if (typeof seconds === 'number') resendAt = clock.now() + seconds * 1000
    }
    if (error instanceof OtpWalletError && error.code === 'OTP_EXPIRED') {
      // Superseded, and the flow already switched the prompt to the newer code (switched()): ask for that one.
      if (otpExpiredReason(error) === 'superseded' && !isExpired()) {
        say(expiredText(error, true))
        // The typed code may well be the newer one: Verify again sends it as is.
        const input = elements().input
        input.focus()
        return input.select()
      }
      return markExpired(error)
    }
    say(failureText(error))
    focusFirst()
  }

  const open = (): void => {
    const e = elements()
    if (e.root.parentNode === null) doc.body.append(e.root)
    say('')
    setBusy(false)
    e.root.hidden = false
    focusFirst()
    clock.setTimeout(() => {
      if (!e.root.hidden && !e.root.contains(doc.activeElement)) focusFirst()
    }, REFOCUS_DELAY_MS)
  }

  return {
    show(next) {
      fill(next)
      open()
    },
    showWaiting(retryAfterSeconds) {
      const e = elements()
      data = null
      resendAt = clock.now() + retryAfterSeconds * 1000
      e.label.textContent = 'Enter the code from the email'
      e.input.value = ''
      e.input.disabled = true
      e.attempts.textContent = ''
      renderResend()
      open()
      say('', `You can request a new code in ${formatWait(retryAfterSeconds)}`)
    },
    update(next) {
      fill(next)
      say('', `We sent a new code to ${next.emailHint}.`)
      focusFirst()
    },
    switched(next) {
      fill(next, true)
    },
    expired() {
      if (data !== null) markExpired()
    },
    hide() {
      if (el === null) return
      if (tick !== null) clock.clearTimeout(tick)
      tick = null
      el.root.hidden = true
      el.input.value = ''
      say('')
      data = null
    },
  }
}
