// Done-when 2: log in, the first signature emails one code, the code typed into the vault's
// prompt unlocks the session, and further signatures of every kind need no second email.
import { Transaction, verifyMessage, verifyTypedData } from 'ethers'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createWalletInPage, enterCodeInVault, openBrowser, mailCount, openHostPage, startDemo, startInPage, waitForCode, type Demo } from './harness.js'

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

const TYPED_DOMAIN = { name: 'Ether Mail', version: '1', chainId: 1, verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' }
const DOMAIN_FIELDS = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
]
const TYPED_TYPES = {
  Person: [
    { name: 'name', type: 'string' },
    { name: 'wallet', type: 'address' },
  ],
  Mail: [
    { name: 'from', type: 'Person' },
    { name: 'to', type: 'Person' },
    { name: 'contents', type: 'string' },
  ],
}
const TYPED_VALUE = {
  from: { name: 'Cow', wallet: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' },
  to: { name: 'Bob', wallet: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB' },
  contents: 'Hello, Bob!',
}

test('one emailed code unlocks a session that signs a message, a transaction and typed data', async () => {
  const { page, email } = await openHostPage(context, demo)
  const address = await createWalletInPage(page, demo, { chainId: 1 })
  expect(address).toMatch(/^0x[0-9a-fA-F]{40}$/)
  expect(await page.evaluate(() => (window as any).wallet.address)).toBe(address)
  expect(mailCount(demo, email)).toBe(0)

  const first = startInPage<string>(page, "wallet.signMessage('hello from the e2e test')")
  const code = await waitForCode(demo, email, 1)
  await enterCodeInVault(page, code)
  const signed = await first
  expect(signed.ok).toBe(true)
  if (!signed.ok) return
  expect(verifyMessage('hello from the e2e test', signed.value)).toBe(address)
  expect(mailCount(demo, email)).toBe(1)

  const session = await startInPage<{ active: boolean; expiresAt: number }>(page, 'wallet.getSession()')
  expect(session.ok && session.value.active).toBe(true)

  const second = await startInPage<string>(page, "wallet.signMessage('second message')")
  expect(second.ok && verifyMessage('second message', second.value)).toBe(address)

  const tx = await startInPage<string>(
    page,
    `wallet.signTransaction({ to: '0x000000000000000000000000000000000000dEaD', value: 10n ** 15n, nonce: 7, gasLimit: 21000, maxFeePerGas: '30000000000', maxPriorityFeePerGas: '0x3b9aca00' })`,
  )
  expect(tx.ok).toBe(true)
  if (!tx.ok) return
  const parsed = Transaction.from(tx.value)
  expect(parsed.type).toBe(2)
  expect(parsed.chainId).toBe(1n)
  expect(parsed.nonce).toBe(7)
  expect(parsed.value).toBe(10n ** 15n)
  expect(parsed.maxPriorityFeePerGas).toBe(1_000_000_000n)
  expect(parsed.from).toBe(address)

  const typed = await startInPage<string>(
    page,
    `wallet.signTypedData(${JSON.stringify(TYPED_DOMAIN)}, ${JSON.stringify(TYPED_TYPES)}, ${JSON.stringify(TYPED_VALUE)})`,
  )
  expect(typed.ok).toBe(true)
  if (!typed.ok) return
  expect(verifyTypedData(TYPED_DOMAIN, TYPED_TYPES, TYPED_VALUE, typed.value)).toBe(address)

  // viem's form as a JSON string, EIP712Domain declared inside types: the same digest.
  const json = JSON.stringify({ domain: TYPED_DOMAIN, types: { EIP712Domain: DOMAIN_FIELDS, ...TYPED_TYPES }, primaryType: 'Mail', message: TYPED_VALUE })
  const fromJson = await startInPage<string>(page, `wallet.signTypedData(${JSON.stringify(json)})`)
  expect(fromJson).toEqual({ ok: true, value: typed.value })

  // Quantities as bigint (structured clone keeps it across postMessage), number, decimal and hex strings.
  const forms = [
    `{ value: 1000000000000000n, nonce: 7n, gasLimit: 21000n, maxFeePerGas: 30000000000n, maxPriorityFeePerGas: 1000000000n }`,
    `{ value: 1000000000000000, nonce: 7, gasLimit: 21000, maxFeePerGas: 30000000000, maxPriorityFeePerGas: 1000000000 }`,
    `{ value: '1000000000000000', nonce: '7', gasLimit: '21000', maxFeePerGas: '30000000000', maxPriorityFeePerGas: '1000000000' }`,
    `{ value: '0x38d7ea4c68000', nonce: '0x7', gasLimit: '0x5208', maxFeePerGas: '0x6fc23ac00', maxPriorityFeePerGas: '0x3b9aca00' }`,
  ]
  for (const fields of forms) {
    const signedForm = await startInPage<string>(page, `wallet.signTransaction({ to: '0x000000000000000000000000000000000000dEaD', ...${fields} })`)
    expect(signedForm, fields).toEqual({ ok: true, value: tx.value })
  }

  expect(mailCount(demo, email)).toBe(1)
})

test('bad input is refused with INVALID_REQUEST naming the field, before any code is sent', async () => {
  const { page, email } = await openHostPage(context, demo)
  await createWalletInPage(page, demo)
  const noChain = await startInPage(page, `wallet.signTransaction({ to: '0x000000000000000000000000000000000000dEaD', nonce: 0, gasLimit: 21000, maxFeePerGas: 1, maxPriorityFeePerGas: 1 })`)
  expect(noChain).toMatchObject({ ok: false, code: 'INVALID_REQUEST', details: { field: 'chainId' } })
  const mixedFees = await startInPage(page, `wallet.signTransaction({ type: 2, chainId: 1, to: '0x000000000000000000000000000000000000dEaD', nonce: 0, gasLimit: 21000, gasPrice: 1, maxFeePerGas: 1, maxPriorityFeePerGas: 1 })`)
  expect(mixedFees).toMatchObject({ ok: false, code: 'INVALID_REQUEST', details: { field: 'gasPrice' } })
  const junk = await startInPage(page, `wallet.signTypedData({ name: 'x' }, { T: [{ name: 'n', type: 'uint256' }] }, { n: '42abc' })`)
  expect(junk).toMatchObject({ ok: false, code: 'INVALID_REQUEST' })
  expect(mailCount(demo, email)).toBe(0)
})

test('a wallet created before the app login works once the user has logged in', async () => {
  const { page, email, token } = await openHostPage(context, demo)
  await page.evaluate(() => sessionStorage.removeItem('token'))
  const early = await page.evaluate(async (vaultUrl) => {
    const w = window as any
    w.wallet = w.OtpWallet.createWallet({ vaultUrl, getAuthToken: () => sessionStorage.getItem('token') })
    return w.wallet.ready.then(
      () => 'resolved',
      (e: any) => e.code,
    )
  }, demo.urls.vault)
  expect(early).toBe('UNAUTHENTICATED')

  await page.evaluate((t) => sessionStorage.setItem('token', t), token)
  const pending = startInPage<string>(page, "wallet.signMessage('after login')")
  await enterCodeInVault(page, await waitForCode(demo, email, 1))
  const signed = await pending
  expect(signed.ok).toBe(true)
  const address = await page.evaluate(() => (window as any).wallet.address)
  expect(signed.ok && verifyMessage('after login', signed.value)).toBe(address)
})

test('a live session signs only for its owner: logged out, forged or another user’s token is refused', async () => {
  const alice = await openHostPage(context, demo)
  const address = await createWalletInPage(alice.page, demo, { session: { ttlSeconds: 600 } })
  const pending = startInPage<string>(alice.page, "wallet.signMessage('alice')")
  await enterCodeInVault(alice.page, await waitForCode(demo, alice.email, 1))
  expect((await pending).ok).toBe(true)

  const page = alice.page
  const setToken = (t: string | null) => page.evaluate((v) => (v === null ? sessionStorage.removeItem('token') : sessionStorage.setItem('token', v)), t)
  const sign = () => startInPage<string>(page, "wallet.signMessage('pay me')")

  await setToken(null)
  expect(await sign()).toMatchObject({ ok: false, code: 'UNAUTHENTICATED' })
  await setToken(`${alice.token.split('.')[0]}.forged`)
  expect(await sign()).toMatchObject({ ok: false, code: 'UNAUTHENTICATED' })

  // Alice logs in again (a fresh token for the same user): the session goes on, no email.
  const refreshed = await page.evaluate(async (email) => {
    const response = await fetch('/login', { method: 'POST', body: JSON.stringify({ email }) })
    return ((await response.json()) as { token: string }).token
  }, alice.email)
  expect(refreshed).not.toBe(alice.token)
  await setToken(refreshed)
  const again = await sign()
  expect(again.ok && verifyMessage('pay me', again.value)).toBe(address)
  expect(mailCount(demo, alice.email)).toBe(1)

  // Bob logs in on the same page without destroy(): Alice's session ends, nothing is signed.
  const bob = await page.evaluate(async () => {
    const response = await fetch('/login', { method: 'POST', body: JSON.stringify({ email: `bob-${Date.now()}@example.com` }) })
    return ((await response.json()) as { token: string }).token
  })
  await setToken(bob)
  expect(await sign()).toMatchObject({ ok: false, code: 'ACCOUNT_CHANGED' })
  await setToken(refreshed)
  expect(await startInPage(page, 'wallet.getSession()')).toMatchObject({ ok: true, value: { active: false } })
})
