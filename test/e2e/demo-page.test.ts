// The example dApp as a person uses it: log in by email, click "Sign a message", type the
// code from the inbox into the vault's prompt, read the signature and the session countdown.
import { verifyMessage } from 'ethers'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { enterCodeInVault, openBrowser, startDemo, waitForCode, type Demo } from './harness.js'

let demo: Demo
let context: Awaited<ReturnType<typeof openBrowser>>

beforeAll(async () => {
  demo = await startDemo()
  context = await openBrowser()
})

afterAll(async () => {
  await context?.dispose()
  await demo?.close()
})

test('log in, sign a message with the emailed code, see the session countdown', async () => {
  const email = `demo-page-${Date.now()}@example.com`
  const page = await context.newPage()
  await page.goto(demo.urls.dapp)
  await page.getByLabel('Email').fill(email)
  await page.getByRole('button', { name: 'Log in' }).click()
  await expect.poll(() => page.locator('#address').textContent()).toMatch(/^0x[0-9a-fA-F]{40}$/)
  const address = (await page.locator('#address').textContent())!

  await page.getByRole('button', { name: 'Sign a message' }).click()
  const prompt = page.frameLocator('iframe[data-otp-wallet-vault]')
  await expect.poll(() => prompt.locator('#otp-code').isVisible()).toBe(true)
  await enterCodeInVault(page, await waitForCode(demo, email, 1))

  await expect.poll(() => page.locator('#output').textContent()).toContain('signature')
  const { message, signature } = JSON.parse((await page.locator('#output').textContent())!) as { message: string; signature: string }
  expect(verifyMessage(message, signature)).toBe(address)
  await expect.poll(() => page.locator('#session').textContent()).toMatch(/^active, \d+m \d{2}s left$/)

  await page.getByRole('button', { name: 'Sign a transaction (EIP-1559)' }).click()
  await expect.poll(() => page.locator('#output').textContent()).toContain('serialized')
})
