// Done-when 3 (handshake): a host origin the vault's config does not allow gets no connection,
// whether the browser blocks the frame (frame-ancestors) or the vault refuses the handshake.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { openBrowser, openHostPage, startDemo, startInPage, type Demo } from './harness.js'

let demo: Demo
let context: Awaited<ReturnType<typeof openBrowser>>
let framedButNotAllowed: string
let notFramed: string

beforeAll(async () => {
  // Two more origins serving the same page: the first may frame the vault but is not in
  // config.json's allowedOrigins; the second is in neither.
  demo = await startDemo({ extraHosts: [{ frameable: true }, { frameable: false }] })
  ;[framedButNotAllowed, notFramed] = demo.urls.extraHosts as [string, string]
  context = await openBrowser()
})

afterAll(async () => {
  await context?.dispose()
  await demo?.close()
})

async function tryConnect(hostUrl: string, timeoutMs: number) {
  const { page } = await openHostPage(context, demo, { hostUrl })
  const result = await page.evaluate(
    async ({ vaultUrl, timeoutMs }) => {
      const w = window as any
      w.wallet = w.OtpWallet.createWallet({ vaultUrl, getAuthToken: () => sessionStorage.getItem('token'), timeoutMs })
      try {
        return { ok: true, address: await w.wallet.ready }
      } catch (e: any) {
        return { ok: false, code: e.code }
      }
    },
    { vaultUrl: demo.urls.vault, timeoutMs },
  )
  return { page, result }
}

test('the allowed origin connects', async () => {
  const { result } = await tryConnect(demo.urls.dapp, 10_000)
  expect(result).toMatchObject({ ok: true })
})

test('an origin the vault config does not list is refused with ORIGIN_NOT_ALLOWED', async () => {
  const { page, result } = await tryConnect(framedButNotAllowed, 10_000)
  expect(result).toEqual({ ok: false, code: 'ORIGIN_NOT_ALLOWED' })
  expect(await startInPage(page, "wallet.signMessage('x')")).toMatchObject({ ok: false, code: 'ORIGIN_NOT_ALLOWED' })
})

test('an origin outside frame-ancestors never reaches the vault', async () => {
  const { result } = await tryConnect(notFramed, 2_000)
  expect(result).toEqual({ ok: false, code: 'VAULT_UNREACHABLE' })
})
