// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest'
import { OtpWalletError } from '../../src/protocol/errors.js'
import type { OtpRequiredData } from '../../src/protocol/messages.js'
import { FakeClock, flush } from '../testing/fakes.js'
import { createCodePrompt } from './code-prompt.js'

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T

function setup() {
  const clock = new FakeClock()
  const actions = {
    submit: vi.fn(async (_code: string) => {}),
    resend: vi.fn(async () => ({})),
    cancel: vi.fn(),
  }
  const prompt = createCodePrompt(document, actions, clock)
  const data: OtpRequiredData = {
    emailHint: 'j***@example.com',
    codeFormat: 'digits',
    codeLength: 6,
    attemptsLeft: 3,
    expiresAt: clock.now() + 600_000,
    resendAfter: clock.now() + 30_000,
  }
  return { clock, actions, prompt, data }
}

function typeCode(value: string): void {
  $<HTMLInputElement>('otp-code').value = value
  $<HTMLButtonElement>('otp-submit').click()
}

afterEach(() => {
  document.body.replaceChildren()
})

describe('code prompt', () => {
  it('shows an accessible form with the stable ids and focuses the input', () => {
    const { prompt, data } = setup()
    prompt.show(data)
    const input = $<HTMLInputElement>('otp-code')
    expect($('otp-prompt').hidden).toBe(false)
    expect($<HTMLLabelElement>('otp-label').htmlFor).toBe('otp-code')
    expect($('otp-label').textContent).toBe('Enter the code we sent to j***@example.com')
    expect(input.getAttribute('autocomplete')).toBe('one-time-code')
    expect(input.getAttribute('inputmode')).toBe('numeric')
    expect(input.type).toBe('text')
    expect(input.maxLength).toBeGreaterThanOrEqual(7) // room for "123 456" / "123-456"
    expect($('otp-error').getAttribute('role')).toBe('alert')
    expect($('otp-attempts').textContent).toBe('3 attempts left')
    expect($('otp-submit').textContent).toBe('Verify')
    for (const id of ['otp-submit', 'otp-resend', 'otp-cancel']) expect($(id).dataset.testid).toBe(id)
    expect(document.activeElement).toBe(input)
  })

  it('renders the backend email hint as text, never as HTML', () => {
    const { prompt, data } = setup()
    prompt.show({ ...data, emailHint: '<img src=x onerror=alert(1)>' })
    expect($('otp-label').textContent).toContain('<img src=x onerror=alert(1)>')
    expect(document.querySelector('img')).toBeNull()
  })

  it.each([
    ['012 345', '012345'],
    ['012-345', '012345'],
    [' 000000 ', '000000'],
  ])('submits pasted %j as %j (leading zeros kept)', async (typed, sent) => {
    const { prompt, data, actions } = setup()
    prompt.show(data)
    typeCode(typed)
    await flush()
    expect(actions.submit).toHaveBeenCalledWith(sent)
  })

  it('refuses a malformed code locally so it costs no attempt', async () => {
    const { prompt, data, actions } = setup()
    prompt.show(data)
    typeCode('12345')
    await flush()
    expect(actions.submit).not.toHaveBeenCalled()
    expect($('otp-error').textContent).toBe('Enter the 6-digit code from the email.')
  })

  it('shows a wrong code and the attempts left, and stays open', async () => {
    const { prompt, data, actions } = setup()
    actions.submit.mockRejectedValueOnce(new OtpWalletError('OTP_INVALID', 'Wrong code', { details: { attemptsLeft: 1 } }))
    prompt.show(data)
    typeCode('111111')
    await flush()
    expect($('otp-error').textContent).toBe('That code is not right. Check the email and try again.')
    expect($('otp-attempts').textContent).toBe('1 attempt left')
    expect($('otp-prompt').hidden).toBe(false)
    expect($<HTMLButtonElement>('otp-submit').disabled).toBe(false)
  })

  it('is busy while verifying and ignores a second submit', async () => {
    const { prompt, data, actions } = setup()
    let finish!: () => void
    actions.submit.mockImplementationOnce(() => new Promise<void>((resolve) => (finish = resolve)))
    prompt.show(data)
    typeCode('012345')
    await flush()
    expect($<HTMLButtonElement>('otp-submit').disabled).toBe(true)
    expect($('otp-form').getAttribute('aria-busy')).toBe('true')
    $<HTMLFormElement>('otp-form').requestSubmit()
    await flush()
    expect(actions.submit).toHaveBeenCalledTimes(1)
    finish()
    await flush()
  })

  it('counts down to resend, then enables it', async () => {
    const { prompt, data, actions, clock } = setup()
    prompt.show(data)
    const resend = $<HTMLButtonElement>('otp-resend')
    expect(resend.disabled).toBe(true)
    expect(resend.textContent).toBe('Resend in 30s')
    clock.advance(3_000)
    expect(resend.textContent).toBe('Resend in 27s')
    clock.advance(27_000)
    expect(resend.disabled).toBe(false)
    expect(resend.textContent).toBe('Resend code')
    resend.click()
    await flush()
    expect(actions.resend).toHaveBeenCalledTimes(1)
  })

  it('restarts the countdown from retryAfterSeconds when resending is rate limited', async () => {
    const { prompt, data, actions, clock } = setup()
    prompt.show({ ...data, resendAfter: clock.now() })
    actions.resend.mockRejectedValueOnce(new OtpWalletError('OTP_RATE_LIMITED', 'slow', { details: { retryAfterSeconds: 12 } }))
    $<HTMLButtonElement>('otp-resend').click()
    await flush()
    expect($('otp-resend').textContent).toBe('Resend in 12s')
    expect($('otp-error').textContent).toBe('Too many codes were requested. Wait a moment before asking for another.')
  })

  it('the daily limit is not "a moment": it names the wait in hours', async () => {
    const { prompt, data, actions, clock } = setup()
    prompt.show({ ...data, resendAfter: clock.now() })
    actions.resend.mockRejectedValueOnce(new OtpWalletError('OTP_RATE_LIMITED', 'daily', { details: { retryAfterSeconds: 86_398 } }))
    $<HTMLButtonElement>('otp-resend').click()
    await flush()
    expect($('otp-resend').textContent).toBe('Resend in 24 h')
    expect($('otp-error').textContent).toBe('Too many codes were requested. You can ask for another in 24 h.')
  })

  it('update() (after a resend) resets the input, attempts and countdown', () => {
    const { prompt, data, clock } = setup()
    prompt.show(data)
    $<HTMLInputElement>('otp-code').value = '99'
    prompt.update({ ...data, attemptsLeft: 5, resendAfter: clock.now() + 60_000 })
    expect($<HTMLInputElement>('otp-code').value).toBe('')
    expect($('otp-attempts').textContent).toBe('5 attempts left')
    expect($('otp-resend').textContent).toBe('Resend in 60s')
    expect($('otp-status').textContent).toBe('We sent a new code to j***@example.com.')
  })

  it('cancels with the button or Escape', () => {
    const { prompt, data, actions } = setup()
    prompt.show(data)
    $<HTMLButtonElement>('otp-cancel').click()
    $('otp-code').dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))
    expect(actions.cancel).toHaveBeenCalledTimes(2)
  })

  it('hides and clears on hide()', () => {
    const { prompt, data, clock } = setup()
    prompt.show(data)
    $<HTMLInputElement>('otp-code').value = '012345'
    prompt.hide()
    expect($('otp-prompt').hidden).toBe(true)
    expect($<HTMLInputElement>('otp-code').value).toBe('')
    expect(clock.pendingTimers).toBeLessThanOrEqual(1) // only the one-shot refocus may remain
  })

  it('uses a text keyboard for alphanumeric codes', () => {
    const { prompt, data } = setup()
    prompt.show({ ...data, codeFormat: 'alphanumeric' })
    expect($('otp-code').getAttribute('inputmode')).toBe('text')
  })

  describe('keyboard and focus (a modal dialog)', () => {
    const key = (target: EventTarget, k: string, shiftKey = false) => {
      const event = new KeyboardEvent('keydown', { key: k, shiftKey, bubbles: true, cancelable: true })
      target.dispatchEvent(event)
      return event
    }

    it('focuses the frame window, then the input, when it opens', () => {
      const { prompt, data } = setup()
      const windowFocus = vi.spyOn(window, 'focus')
      prompt.show(data)
      expect(windowFocus).toHaveBeenCalled()
      expect(document.activeElement).toBe($('otp-code'))
      windowFocus.mockRestore()
    })

    it('keeps Tab and Shift+Tab among the enabled controls', () => {
      const { prompt, data } = setup()
      prompt.show(data) // Resend is disabled (countdown)
      const order = () => (document.activeElement as HTMLElement).id
      expect(order()).toBe('otp-code')
      expect(key(document.activeElement!, 'Tab').defaultPrevented).toBe(true)
      expect(order()).toBe('otp-submit')
      key(document.activeElement!, 'Tab')
      expect(order()).toBe('otp-cancel')
      key(document.activeElement!, 'Tab')
      expect(order()).toBe('otp-code') // wraps, never leaves the dialog
      key(document.activeElement!, 'Tab', true)
      expect(order()).toBe('otp-cancel')
      // From outside the dialog (focus fell to <body>), Tab comes back in.
      ;(document.activeElement as HTMLElement).blur()
      key(document.body, 'Tab')
      expect(order()).toBe('otp-code')
    })

    it('Escape cancels wherever focus is in the vault document, only while open', () => {
      const { prompt, data, actions } = setup()
      prompt.show(data)
      ;(document.activeElement as HTMLElement).blur()
      key(document.body, 'Escape')
      expect(actions.cancel).toHaveBeenCalledTimes(1)
      prompt.hide()
      key(document.body, 'Escape')
      expect(actions.cancel).toHaveBeenCalledTimes(1)
    })

    it('a click on the backdrop keeps focus in the dialog', () => {
      const { prompt, data } = setup()
      prompt.show(data)
      $<HTMLButtonElement>('otp-cancel').focus()
      const down = new MouseEvent('mousedown', { bubbles: true, cancelable: true })
      $('otp-prompt').dispatchEvent(down)
      expect(down.defaultPrevented).toBe(true)
      expect(document.activeElement).toBe($('otp-code'))
      // A click inside the card is left alone.
      const inside = new MouseEvent('mousedown', { bubbles: true, cancelable: true })
      $('otp-title').dispatchEvent(inside)
      expect(inside.defaultPrevented).toBe(false)
    })
  })

  describe('an expired code', () => {
    it('expired(): says so, enables Resend at once, and does not submit a code typed afterwards', async () => {
      const { prompt, data, actions } = setup()
      prompt.show(data)
      expect($<HTMLButtonElement>('otp-resend').disabled).toBe(true)
      prompt.expired()
      expect($('otp-error').textContent).toBe('This code has expired. Ask for a new one.')
      expect($<HTMLButtonElement>('otp-resend').disabled).toBe(false)
      expect($('otp-resend').textContent).toBe('Resend code')
      typeCode('012345')
      await flush()
      expect(actions.submit).not.toHaveBeenCalled()
      $<HTMLButtonElement>('otp-resend').click()
      await flush()
      expect(actions.resend).toHaveBeenCalledTimes(1)
    })

    it('does not send a code once the clock is past expiresAt, even before being told', async () => {
      const { prompt, data, actions, clock } = setup()
      prompt.show(data)
      clock.jump(600_000)
      typeCode('012345')
      await flush()
      expect(actions.submit).not.toHaveBeenCalled()
      expect($('otp-error').textContent).toBe('This code has expired. Ask for a new one.')
    })

    it('a submit refused OTP_EXPIRED (by the backend) offers Resend at once', async () => {
      const { prompt, data, actions } = setup()
      actions.submit.mockRejectedValueOnce(new OtpWalletError('OTP_EXPIRED', 'Expired'))
      prompt.show(data)
      typeCode('012345')
      await flush()
      expect($('otp-error').textContent).toBe('This code has expired. Ask for a new one.')
      expect($<HTMLButtonElement>('otp-resend').disabled).toBe(false)
      expect($('otp-prompt').hidden).toBe(false)
    })

    it('superseded by another tab, and the flow switched to the newer code: asks for the code from the latest email', async () => {
      const { prompt, data, actions, clock } = setup()
      const superseded = new OtpWalletError('OTP_EXPIRED', 'A newer code was requested', { details: { reason: 'superseded' } })
      const newer = { ...data, expiresAt: clock.now() + 700_000, resendAfter: clock.now() + 40_000 }
      actions.submit.mockImplementationOnce(async () => {
        prompt.switched(newer) // what the flow does before it rejects
        throw superseded
      })
      prompt.show(data)
      typeCode('012345')
      await flush()
      expect($('otp-error').textContent).toBe('Another tab asked for a new code. Enter the code from the latest email.')
      const input = $<HTMLInputElement>('otp-code')
      expect(input.disabled).toBe(false)
      expect(input.value).toBe('012345') // kept: it may be the code from the latest email
      expect(document.activeElement).toBe(input)
      expect($<HTMLButtonElement>('otp-resend').disabled).toBe(true) // the newer code's own cooldown
      $<HTMLButtonElement>('otp-submit').click()
      await flush()
      expect(actions.submit).toHaveBeenCalledTimes(2)
      expect(actions.submit).toHaveBeenLastCalledWith('012345')
    })

    it('a code another tab already used says so, and offers Resend', async () => {
      const { prompt, data, actions } = setup()
      actions.submit.mockRejectedValueOnce(new OtpWalletError('OTP_EXPIRED', 'used', { details: { reason: 'used' } }))
      prompt.show(data)
      typeCode('012345')
      await flush()
      expect($('otp-error').textContent).toBe('This code was already used, perhaps in another tab. Ask for a new one.')
      expect($<HTMLButtonElement>('otp-resend').disabled).toBe(false)
    })

    it('superseded with nothing to switch to: says another tab asked, and offers Resend', async () => {
      const { prompt, data, actions } = setup()
      actions.submit.mockImplementationOnce(async () => {
        prompt.expired() // what the flow does before it rejects
        throw new OtpWalletError('OTP_EXPIRED', 'A newer code was requested', { details: { reason: 'superseded' } })
      })
      prompt.show(data)
      typeCode('012345')
      await flush()
      expect($('otp-error').textContent).toBe('Another tab asked for a new code. Use that tab, or ask for a new one here.')
      expect($<HTMLButtonElement>('otp-resend').disabled).toBe(false)
    })
  })

  describe('no code yet (rate limited at the start)', () => {
    it('shows the wait, disables the input and counts Resend down; update() makes it a normal prompt', async () => {
      const { prompt, data, actions, clock } = setup()
      prompt.showWaiting(25)
      expect($('otp-prompt').hidden).toBe(false)
      expect($('otp-status').textContent).toBe('You can request a new code in 25s')
      expect($<HTMLInputElement>('otp-code').disabled).toBe(true)
      expect($<HTMLButtonElement>('otp-submit').disabled).toBe(true)
      expect($('otp-resend').textContent).toBe('Resend in 25s')
      expect(document.activeElement).toBe($('otp-cancel')) // the only enabled control
      $<HTMLFormElement>('otp-form').requestSubmit()
      await flush()
      expect(actions.submit).not.toHaveBeenCalled()

      clock.advance(25_000)
      expect($<HTMLButtonElement>('otp-resend').disabled).toBe(false)
      $<HTMLButtonElement>('otp-resend').click()
      await flush()
      expect(actions.resend).toHaveBeenCalledTimes(1)
      prompt.update(data)
      expect($<HTMLInputElement>('otp-code').disabled).toBe(false)
      expect($<HTMLButtonElement>('otp-submit').disabled).toBe(false)
      expect(document.activeElement).toBe($('otp-code'))
      typeCode('012345')
      await flush()
      expect(actions.submit).toHaveBeenCalledWith('012345')
    })
  })
})
