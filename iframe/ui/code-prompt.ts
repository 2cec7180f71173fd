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
 * "Resend in 27s" until `resendAfter`; Cancel and Escape cancel; the input gets focus.
 * No auto-submit: submitting is always the Verify button or Enter.
 */
import { OtpWalletError } from '../../src/protocol/errors.js'
import type { OtpRequiredData } from '../../src/protocol/messages.js'
import { isWellFormedCode, normalizeCode } from '../otp/normalize-code.js'
import { systemClock, type Clock } from '../session/clock.js'
import { failureText } from './failure-text.js'
import { buildPromptElements, type PromptElements } from './prompt-elements.js'

export interface CodePromptActions {
  /** Verifies the (normalized) code; rejects with the reason when it was not accepted. */
  submit(code: string): Promise<void>
  resend(): Promise<unknown>
  cancel(): void
}

export interface CodePrompt {
  show(data: OtpRequiredData): void
  /** New challenge after a resend: fresh attempts and countdown. */
  update(data: OtpRequiredData): void
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
  let data: OtpRequiredData | null = null
  let resendAt = 0
  let tick: unknown = null
  let busy = false

  const elements = (): PromptElements => {
    if (el !== null) return el
    el = buildPromptElements(doc)
    el.form.addEventListener('submit', (event) => {
      event.preventDefault()
      void onSubmit()
    })
    el.resend.addEventListener('click', () => void onResend())
    el.cancel.addEventListener('click', () => actions.cancel())
    el.root.addEventListener('keydown', (event) => {
      if ((event as KeyboardEvent).key === 'Escape') actions.cancel()
    })
    return el
  }

  const setBusy = (value: boolean): void => {
    busy = value
    const e = elements()
    e.form.setAttribute('aria-busy', String(value))
    e.input.readOnly = value
    e.submit.disabled = value
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
      e.resend.textContent = `Resend in ${Math.ceil(msLeft / 1000)}s`
      // Wake at the next whole-second boundary of the countdown.
      tick = clock.setTimeout(renderResend, msLeft % 1000 || 1000)
    } else {
      e.resend.disabled = busy
      e.resend.textContent = 'Resend code'
    }
  }

  const fill = (next: OtpRequiredData): void => {
    data = next
    resendAt = next.resendAfter
    const e = elements()
    e.label.textContent = `Enter the code we sent to ${next.emailHint}`
    e.input.inputMode = next.codeFormat === 'digits' ? 'numeric' : 'text'
    e.input.autocapitalize = next.codeFormat === 'digits' ? 'off' : 'characters'
    // Room for a separator between every character of a pasted code.
    e.input.maxLength = next.codeLength * 2 + 2
    e.input.value = ''
    renderAttempts()
    renderResend()
  }

  const onSubmit = async (): Promise<void> => {
    if (busy || data === null) return
    const current = data
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
    say(failureText(error))
    elements().input.focus()
  }

  return {
    show(next) {
      const e = elements()
      if (e.root.parentNode === null) doc.body.append(e.root)
      fill(next)
      say('')
      setBusy(false)
      e.root.hidden = false
      e.input.focus()
      clock.setTimeout(() => {
        if (!e.root.hidden && doc.activeElement !== e.input) e.input.focus()
      }, REFOCUS_DELAY_MS)
    },
    update(next) {
      fill(next)
      say('', `We sent a new code to ${next.emailHint}.`)
      elements().input.focus()
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
