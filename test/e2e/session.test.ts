// Done-when 3 (sessions): a short session expires and the next signature emails a new code;
// a reload inside the session signs without a code; ttlSeconds 0 signs one request per code.
import { verifyMessage } from 'ethers'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createWalletInPage, enterCodeInVault, openBrowser, mailCount, openHostPage, startDemo, startInPage, waitForCode, type Demo } from './harness.js'

let demo: Demo
let context: Awaited<ReturnType<typeof openBrowser>>

beforeAll(async () => {
  // resendSeconds 0: these tests ask for codes back to back.
  demo = await startDemo({ server: { otp: { resendSeconds: 0 } } })
  context = await openBrowser()
})

afterAll(async () => {
  await context?.dispose()
  await demo?.close()
})

async function signWithCode(page: import('playwright-core').Page, email: string, nth: number, text: string) {
  const pending = startInPage<string>(page, `wallet.signMessage(${JSON.stringify(text)})`)
  await enterCodeInVault(page, await waitForCode(demo, email, nth))
  const result = await pending
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`)
  return result.value
}

test('a 2-second session expires; the next signature sends a new email', async () => {
  const { page, email } = await openHostPage(context, demo)
  const address = await createWalletInPage(page, demo, { session: { ttlSeconds: 2 } })
  expect(verifyMessage('one', await signWithCode(page, email, 1, 'one'))).toBe(address)

  const events = () => page.evaluate(() => (window as any).events.map((e: { name: string }) => e.name))
  expect(await events()).toContain('session_started')
  await page.waitForFunction(() => (window as any).events.some((e: { name: string }) => e.name === 'session_expired'), null, { timeout: 10_000 })
  const session = await startInPage<{ active: boolean }>(page, 'wallet.getSession()')
  expect(session).toMatchObject({ ok: true, value: { active: false, expiresAt: null } })

  expect(verifyMessage('two', await signWithCode(page, email, 2, 'two'))).toBe(address)
  expect(mailCount(demo, email)).toBe(2)
})

test('a reload within the session signs without a code', async () => {
  const { page, email } = await openHostPage(context, demo)
  const address = await createWalletInPage(page, demo, { session: { ttlSeconds: 600 } })
  expect(await page.evaluate(() => (window as any).wallet.storage)).toBe('indexeddb')
  await signWithCode(page, email, 1, 'before reload')

  await page.reload()
  expect(await createWalletInPage(page, demo, { session: { ttlSeconds: 600 } })).toBe(address)
  const session = await startInPage<{ active: boolean; expiresAt: number }>(page, 'wallet.getSession()')
  expect(session.ok && session.value.active).toBe(true)
  const after = await startInPage<string>(page, "wallet.signMessage('after reload')")
  expect(after.ok && verifyMessage('after reload', after.value)).toBe(address)
  expect(mailCount(demo, email)).toBe(1)
})

test('ttlSeconds 0 signs exactly one request per code', async () => {
  const { page, email } = await openHostPage(context, demo)
  const address = await createWalletInPage(page, demo, { session: { ttlSeconds: 0 } })
  expect(verifyMessage('a', await signWithCode(page, email, 1, 'a'))).toBe(address)
  const session = await startInPage<{ active: boolean }>(page, 'wallet.getSession()')
  expect(session).toMatchObject({ ok: true, value: { active: false } })
  expect(verifyMessage('b', await signWithCode(page, email, 2, 'b'))).toBe(address)
  expect(mailCount(demo, email)).toBe(2)
})

test('endSession ends the session; the next signature needs a new code', async () => {
  const { page, email } = await openHostPage(context, demo)
  await createWalletInPage(page, demo, { session: { ttlSeconds: 600 } })
  await signWithCode(page, email, 1, 'x')
  expect(await startInPage(page, 'wallet.endSession()')).toMatchObject({ ok: true })
  expect(await startInPage(page, 'wallet.getSession()')).toMatchObject({ ok: true, value: { active: false } })
  await signWithCode(page, email, 2, 'y')
  expect(mailCount(demo, email)).toBe(2)
})

test('where the browser refuses the vault storage, the session lives in memory and the SDK says so', async () => {
  // An incognito-style profile: Chromium blocks the cross-site vault's IndexedDB there.
  const incognito = await openBrowser({ incognito: true })
  try {
    const { page, email } = await openHostPage(incognito, demo)
    const address = await createWalletInPage(page, demo, { session: { ttlSeconds: 600 } })
    expect(await page.evaluate(() => (window as any).wallet.storage)).toBe('memory')
    await page.waitForFunction(() => (window as any).events.some((e: { name: string }) => e.name === 'storage_fallback'))
    expect(verifyMessage('in memory', await signWithCode(page, email, 1, 'in memory'))).toBe(address)
    const again = await startInPage<string>(page, "wallet.signMessage('still in memory')")
    expect(again.ok && verifyMessage('still in memory', again.value)).toBe(address)
    expect(mailCount(demo, email)).toBe(1)
  } finally {
    await incognito.dispose()
  }
})

test('two tabs of one site share the session: started in one, ended from the other', async () => {
  const { page: first, email, token } = await openHostPage(context, demo)
  const address = await createWalletInPage(first, demo, { session: { ttlSeconds: 600 } })
  const second = await context.newPage()
  await second.goto(first.url())
  await second.evaluate((t) => sessionStorage.setItem('token', t), token)
  expect(await createWalletInPage(second, demo, { session: { ttlSeconds: 600 } })).toBe(address)

  // Started in the first tab: the second one signs without a code.
  await signWithCode(first, email, 1, 'tab one')
  await second.waitForFunction(() => (window as any).events.some((e: { name: string }) => e.name === 'session_started'))
  const fromSecond = await startInPage<string>(second, "wallet.signMessage('tab two')")
  expect(fromSecond.ok && verifyMessage('tab two', fromSecond.value)).toBe(address)
  expect(mailCount(demo, email)).toBe(1)

  // Ended in the second tab: the first one is told, and needs a new code.
  expect(await startInPage(second, 'wallet.endSession()')).toMatchObject({ ok: true })
  await first.waitForFunction(() => (window as any).events.some((e: { name: string }) => e.name === 'session_expired'))
  expect(await startInPage(first, 'wallet.getSession()')).toMatchObject({ ok: true, value: { active: false } })
  await signWithCode(first, email, 2, 'tab one again')
  expect(mailCount(demo, email)).toBe(2)
})

test('a single-use page (ttlSeconds 0) needs a code even while another tab of the site has a session', async () => {
  const { page: first, email, token } = await openHostPage(context, demo)
  const address = await createWalletInPage(first, demo, { session: { ttlSeconds: 600 } })
  await signWithCode(first, email, 1, 'with a session')
  const second = await context.newPage()
  await second.goto(first.url())
  await second.evaluate((t) => sessionStorage.setItem('token', t), token)
  expect(await createWalletInPage(second, demo, { session: { ttlSeconds: 0 } })).toBe(address)

  expect(await startInPage(second, 'wallet.getSession()')).toMatchObject({ ok: true, value: { active: false } })
  expect(verifyMessage('single use', await signWithCode(second, email, 2, 'single use'))).toBe(address)
  expect(mailCount(demo, email)).toBe(2)
  expect(await startInPage(first, 'wallet.getSession()')).toMatchObject({ ok: true, value: { active: true } })
})

test('after the app logged out, endSession() still ends the stored session', async () => {
  const { page, email, token } = await openHostPage(context, demo)
  await createWalletInPage(page, demo, { session: { ttlSeconds: 600 } })
  await signWithCode(page, email, 1, 'before logout')

  await page.evaluate(() => sessionStorage.removeItem('token'))
  await page.reload()
  await page.evaluate((vaultUrl) => {
    const w = window as any
    w.wallet = w.OtpWallet.createWallet({ vaultUrl, getAuthToken: () => sessionStorage.getItem('token') })
  }, demo.urls.vault)
  expect(await startInPage(page, 'wallet.getSession()')).toEqual({ ok: true, value: { active: false, expiresAt: null } })
  expect(await startInPage(page, 'wallet.endSession()')).toEqual({ ok: true })

  // Logged in again, the same user needs a new code: the stored session is gone.
  await page.evaluate((t) => sessionStorage.setItem('token', t), token)
  await signWithCode(page, email, 2, 'after logout')
  expect(mailCount(demo, email)).toBe(2)
})
