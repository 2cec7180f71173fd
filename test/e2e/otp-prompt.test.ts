// Done-when 3 (codes): three wrong codes kill the challenge; pasted codes with spaces or
// dashes work; headless mode works through otp_required.submit(code).
import { verifyMessage } from 'ethers'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createWalletInPage, enterCodeInVault, openBrowser, mailCount, openHostPage, startDemo, startInPage, waitForCode, type Demo } from './harness.js'

let demo: Demo
let context: Awaited<ReturnType<typeof openBrowser>>

beforeAll(async () => {
  demo = await startDemo({ server: { otp: { resendSeconds: 0 } } })
  context = await openBrowser()
})

afterAll(async () => {
  await context?.dispose()
  await demo?.close()
})

/** A wrong code of the same shape as `code`. */
function wrong(code: string, i: number): string {
  return code.slice(0, -1) + String((Number(code.at(-1)) + 1 + i) % 10)
}

function captureChallengeIds(page: Page): string[] {
  const ids: string[] = []
  page.on('response', async (response) => {
    if (response.url().endsWith('/otp/challenge') && response.request().method() === 'POST' && response.ok()) {
      ids.push(((await response.json()) as { challengeId: string }).challengeId)
    }
  })
  return ids
}

test('three wrong codes → OTP_ATTEMPTS_EXCEEDED, and the challenge is dead', async () => {
  const { page, email, token } = await openHostPage(context, demo)
  await createWalletInPage(page, demo)
  const challengeIds = captureChallengeIds(page)
  const pending = startInPage(page, "wallet.signMessage('never signed')")
  const code = await waitForCode(demo, email, 1)

  const vault = page.frameLocator('iframe[data-otp-wallet-vault]')
  await enterCodeInVault(page, wrong(code, 0))
  await expect.poll(() => vault.locator('#otp-attempts').textContent()).toMatch(/2/)
  await enterCodeInVault(page, wrong(code, 1))
  await expect.poll(() => vault.locator('#otp-attempts').textContent()).toMatch(/1/)
  await enterCodeInVault(page, wrong(code, 2))
  expect(await pending).toMatchObject({ ok: false, code: 'OTP_ATTEMPTS_EXCEEDED' })

  // The right code no longer opens it, even straight at the backend.
  expect(challengeIds).toHaveLength(1)
  const response = await fetch(`${demo.urls.api}/otp/verify`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', origin: new URL(demo.urls.vault).origin },
    body: JSON.stringify({ challengeId: challengeIds[0], code }),
  })
  expect(response.status).toBe(429)
  expect(((await response.json()) as { error: { code: string } }).error.code).toBe('OTP_ATTEMPTS_EXCEEDED')
})

test.each([
  ['spaces', (c: string) => `${c.slice(0, 3)} ${c.slice(3)}`],
  ['dashes', (c: string) => `${c.slice(0, 3)}-${c.slice(3)}`],
])('a code pasted with %s works', async (_name, format) => {
  const { page, email } = await openHostPage(context, demo)
  const address = await createWalletInPage(page, demo)
  const pending = startInPage<string>(page, "wallet.signMessage('pasted')")
  const code = await waitForCode(demo, email, 1)
  await enterCodeInVault(page, format(code))
  const result = await pending
  expect(result.ok && verifyMessage('pasted', result.value)).toBe(address)
})

test('cancelling the prompt rejects with USER_CANCELLED; signing again takes the code already emailed', async () => {
  const { page, email } = await openHostPage(context, demo)
  const address = await createWalletInPage(page, demo)
  const pending = startInPage(page, "wallet.signMessage('cancelled')")
  const code = await waitForCode(demo, email, 1)
  await page.frameLocator('iframe[data-otp-wallet-vault]').locator('#otp-cancel').click()
  expect(await pending).toMatchObject({ ok: false, code: 'USER_CANCELLED' })

  const again = startInPage<string>(page, "wallet.signMessage('after cancel')")
  await enterCodeInVault(page, code)
  const result = await again
  expect(result.ok && verifyMessage('after cancel', result.value)).toBe(address)
  expect(mailCount(demo, email)).toBe(1)
})

test('headless mode: otp_required.submit(code), with a wrong code first', async () => {
  const { page, email } = await openHostPage(context, demo)
  const address = await createWalletInPage(page, demo, { ui: 'headless' })
  await page.evaluate(() => {
    const w = window as any
    w.otpEvents = []
    w.wallet.on('otp_required', (e: unknown) => w.otpEvents.push(e))
  })
  const pending = startInPage<string>(page, "wallet.signMessage('headless')")
  const code = await waitForCode(demo, email, 1)
  await page.waitForFunction(() => (window as any).otpEvents.length === 1)
  const info = await page.evaluate(() => {
    const { emailHint, codeLength, codeFormat, attemptsLeft } = (window as any).otpEvents[0]
    return { emailHint, codeLength, codeFormat, attemptsLeft }
  })
  expect(info).toMatchObject({ codeLength: code.length, codeFormat: 'digits', attemptsLeft: 3 })
  expect(info.emailHint).toContain('@example.com')
  expect(info.emailHint).not.toBe(email)

  const bad = await page.evaluate(async (c) => {
    try {
      await (window as any).otpEvents[0].submit(c)
      return { ok: true }
    } catch (e: any) {
      return { ok: false, code: e.code, attemptsLeft: e.details?.attemptsLeft }
    }
  }, wrong(code, 0))
  expect(bad).toEqual({ ok: false, code: 'OTP_INVALID', attemptsLeft: 2 })

  await page.evaluate((c) => (window as any).otpEvents[0].submit(c), code)
  const result = await pending
  expect(result.ok && verifyMessage('headless', result.value)).toBe(address)
  // The vault's own prompt never opened in headless mode.
  expect(await page.locator('iframe[data-otp-wallet-vault]').evaluate((el) => getComputedStyle(el).opacity)).toBe('0')
  expect(mailCount(demo, email)).toBe(1)
})

test('concurrent signature requests wait on one code', async () => {
  const { page, email } = await openHostPage(context, demo)
  const address = await createWalletInPage(page, demo, { session: { ttlSeconds: 600 } })
  const all = startInPage<string[]>(page, "Promise.all(['a', 'b', 'c'].map((m) => wallet.signMessage(m)))")
  await enterCodeInVault(page, await waitForCode(demo, email, 1))
  const result = await all
  expect(result.ok).toBe(true)
  if (!result.ok) return
  expect(result.value.map((sig, i) => verifyMessage(['a', 'b', 'c'][i]!, sig))).toEqual([address, address, address])
  expect(mailCount(demo, email)).toBe(1)
})

test('a second browser signing in does not kill the code the first one is waiting for', async () => {
  const { page, email } = await openHostPage(context, demo)
  const address = await createWalletInPage(page, demo)
  const inFirst = startInPage<string>(page, "wallet.signMessage('first browser')")
  const firstCode = await waitForCode(demo, email, 1)

  // Another browser (its own storage, so its own target key) asks for its own code meanwhile.
  const other = await openBrowser({ incognito: true })
  try {
    const { page: second } = await openHostPage(other, demo, { email })
    expect(await createWalletInPage(second, demo)).toBe(address)
    const inSecond = startInPage<string>(second, "wallet.signMessage('second browser')")
    const secondCode = await waitForCode(demo, email, 2)

    await enterCodeInVault(page, firstCode)
    const first = await inFirst
    expect(first.ok && verifyMessage('first browser', first.value)).toBe(address)
    await enterCodeInVault(second, secondCode)
    const result = await inSecond
    expect(result.ok && verifyMessage('second browser', result.value)).toBe(address)
  } finally {
    await other.dispose()
  }
})

test("another tab's Resend: the first tab's prompt moves to the newer code", async () => {
  const { page: first, email, token } = await openHostPage(context, demo)
  const address = await createWalletInPage(first, demo)
  const second = await context.newPage()
  await second.goto(first.url())
  await second.evaluate((t) => sessionStorage.setItem('token', t), token)
  await createWalletInPage(second, demo)

  const inFirst = startInPage<string>(first, "wallet.signMessage('tab one')")
  const oldCode = await waitForCode(demo, email, 1)
  const inSecond = startInPage<string>(second, "wallet.signMessage('tab two')")
  const secondPrompt = second.frameLocator('iframe[data-otp-wallet-vault]')
  await expect.poll(() => secondPrompt.locator('#otp-resend').isEnabled()).toBe(true) // the same code, resendSeconds 0
  await secondPrompt.locator('#otp-resend').click()
  const newCode = await waitForCode(demo, email, 2)

  // The first tab still waits on the old code: the new one typed there is refused once, and kept.
  const firstPrompt = first.frameLocator('iframe[data-otp-wallet-vault]')
  expect(newCode).not.toBe(oldCode)
  await enterCodeInVault(first, newCode)
  await expect
    .poll(() => firstPrompt.locator('#otp-error').textContent())
    .toBe('Another tab asked for a new code. Enter the code from the latest email.')
  expect(await firstPrompt.locator('#otp-code').inputValue()).toBe(newCode)
  await firstPrompt.locator('#otp-submit').click()
  const one = await inFirst
  expect(one.ok && verifyMessage('tab one', one.value)).toBe(address)
  // The second tab's request goes on with the session the first tab started.
  const two = await inSecond
  expect(two.ok && verifyMessage('tab two', two.value)).toBe(address)
  expect(mailCount(demo, email)).toBe(2)
})
