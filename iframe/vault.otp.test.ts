// @vitest-environment happy-dom
// Codes that expire while the prompt is open, and a rate limit when a round starts.
import { verifyMessage } from 'ethers/hash'
import { afterEach, describe, expect, it } from 'vitest'
import { TEST_ADDRESS } from './testing/fakes.js'
import { $, closeVaults, init, message, setupVault, typeCode } from './testing/vault-harness.js'

afterEach(closeVaults)

describe('vault: a code that expires while the prompt is open', () => {
  it('vault UI: the prompt says so and offers Resend; the expired code is not sent; a new one signs', async () => {
    const v = setupVault()
    await v.call('init', init('vault'))
    const signing = v.start('signMessage', message)
    await v.waitEvent('ui:open')
    v.clock.advance(600_000) // the challenge's expiresAt, on the vault's clock
    expect($('otp-error').textContent).toBe('This code has expired. Ask for a new one.')
    expect($<HTMLButtonElement>('otp-resend').disabled).toBe(false)
    expect(signing.settled()).toBe(false)

    typeCode('012345')
    await new Promise((r) => setTimeout(r, 20))
    expect(v.api.count['/otp/verify']).toBeUndefined()
    expect(signing.settled()).toBe(false)

    $<HTMLButtonElement>('otp-resend').click()
    await expect.poll(() => $('otp-status').textContent).toBe('We sent a new code to j***@example.com.')
    typeCode('012345')
    const signed = await signing.done()
    expect(verifyMessage('hello vault', signed.result.signature)).toBe(TEST_ADDRESS)
    expect(v.api.count).toMatchObject({ '/otp/challenge': 2, '/otp/verify': 1 })
  })

  it('headless: the backend says OTP_EXPIRED → otp.submit rejects it, the request waits, otp.resend + submit sign', async () => {
    const v = setupVault()
    await v.call('init', init('headless'))
    const signing = v.start('signMessage', message)
    await v.waitEvent('otp_required')
    v.api.expireChallenges()
    expect((await v.call('otp.submit', { code: '012345' })).error).toMatchObject({ code: 'OTP_EXPIRED', details: { reason: 'expired' } })
    expect((await v.call('otp.submit', { code: '012345' })).error).toMatchObject({ code: 'OTP_EXPIRED', details: { reason: 'expired' } })
    expect(v.api.count['/otp/verify']).toBe(1) // the second one never left the vault
    expect(signing.settled()).toBe(false)

    expect((await v.call('otp.resend')).result).toEqual({ resendAfter: expect.any(Number), expiresAt: expect.any(Number) })
    await v.call('otp.submit', { code: '012345' })
    expect((await signing.done()).result.signature).toBeDefined()
  })

  it('headless: otp.cancel after an expired code rejects the waiting request USER_CANCELLED', async () => {
    const v = setupVault()
    await v.call('init', init('headless'))
    const signing = v.start('signMessage', message)
    await v.waitEvent('otp_required')
    v.clock.advance(600_000)
    expect((await v.call('otp.submit', { code: '012345' })).error).toMatchObject({ code: 'OTP_EXPIRED' })
    await v.call('otp.cancel')
    expect((await signing.done()).error).toMatchObject({ code: 'USER_CANCELLED' })
  })

  it('three wrong codes still end the round OTP_ATTEMPTS_EXCEEDED', async () => {
    const v = setupVault()
    await v.call('init', init('headless'))
    const signing = v.start('signMessage', message)
    await v.waitEvent('otp_required')
    for (const code of ['111111', '222222', '333333']) await v.call('otp.submit', { code })
    expect((await signing.done()).error).toMatchObject({ code: 'OTP_ATTEMPTS_EXCEEDED' })
  })
})

describe('vault: cancel, then sign again', () => {
  it('vault UI: the prompt shows the code already emailed (usable, not rate limited), and it signs', async () => {
    const v = setupVault()
    await v.call('init', init('vault'))
    const first = v.start('signMessage', message)
    await v.waitEvent('ui:open')
    $<HTMLButtonElement>('otp-cancel').click()
    expect((await first.done()).error).toMatchObject({ code: 'USER_CANCELLED' })
    v.api.rateLimitSeconds = 30 // the backend's resend cooldown: the challenge is still open

    const second = v.start('signMessage', message)
    await v.waitEvent('ui:open', 2)
    expect($<HTMLInputElement>('otp-code').disabled).toBe(false)
    expect($('otp-status').textContent).not.toContain('You can request a new code')
    typeCode('012345')
    const signed = await second.done()
    expect(verifyMessage('hello vault', signed.result.signature)).toBe(TEST_ADDRESS)
    expect(v.api.count).toMatchObject({ '/otp/challenge': 1, '/otp/verify': 1 })
  })

  it('headless: otp_required again with the same code data; otp.submit signs', async () => {
    const v = setupVault()
    await v.call('init', init('headless'))
    const first = v.start('signMessage', message)
    await v.waitEvent('otp_required')
    await v.call('otp.cancel')
    expect((await first.done()).error).toMatchObject({ code: 'USER_CANCELLED' })
    v.api.rateLimitSeconds = 30
    const second = v.start('signMessage', message)
    await v.waitEvent('otp_required', 2)
    const [a, b] = v.eventsNamed('otp_required')
    expect(b!.data).toEqual(a!.data)
    await v.call('otp.submit', { code: '012345' })
    expect((await second.done()).result.signature).toBeDefined()
    expect(v.api.count['/otp/challenge']).toBe(1)
  })
})

describe('vault: rate limited when a round starts', () => {
  it('vault UI: the prompt opens with the wait and a Resend countdown, and the request goes on after it', async () => {
    const v = setupVault()
    await v.call('init', init('vault'))
    v.api.rateLimitSeconds = 25
    const signing = v.start('signMessage', message)
    await v.waitEvent('ui:open')
    expect($('otp-status').textContent).toBe('You can request a new code in 25s')
    expect($('otp-resend').textContent).toBe('Resend in 25s')
    expect($<HTMLInputElement>('otp-code').disabled).toBe(true)
    expect(signing.settled()).toBe(false)

    v.api.rateLimitSeconds = null
    v.clock.advance(25_000)
    $<HTMLButtonElement>('otp-resend').click()
    await expect.poll(() => $<HTMLInputElement>('otp-code').disabled).toBe(false)
    typeCode('012345')
    expect((await signing.done()).result.signature).toBeDefined()
    await v.waitEvent('ui:close')
  })

  it('headless: the sign request rejects OTP_RATE_LIMITED with retryAfterSeconds (the host decides)', async () => {
    const v = setupVault()
    await v.call('init', init('headless'))
    v.api.rateLimitSeconds = 25
    expect((await v.call('signMessage', message)).error).toMatchObject({ code: 'OTP_RATE_LIMITED', details: { retryAfterSeconds: 25 } })
    expect(v.eventsNamed('otp_required')).toHaveLength(0)
  })
})
