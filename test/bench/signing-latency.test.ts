// `npm run bench`: what a signature costs through the vault during a live session, against
// the same signing code run in the page itself. Prints figures; asserts only correctness
// (timings are not pass/fail on a shared 2-core machine).
import { build } from 'esbuild'
import { verifyMessage } from 'ethers'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createWalletInPage, enterCodeInVault, openBrowser, openHostPage, startDemo, startInPage, waitForCode, type Demo } from '../e2e/harness.js'

const WARMUP = 50
const RUNS = 500

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

/** The vault's signing path (ethers' SigningKey + hashMessage), bundled for the page. */
async function inPageSigner(): Promise<string> {
  const result = await build({
    stdin: {
      contents: `import { SigningKey } from 'ethers/crypto'; import { hashMessage } from 'ethers/hash';
        window.benchSign = (key, text) => new SigningKey(key).sign(hashMessage(text)).serialized`,
      resolveDir: process.cwd(),
    },
    bundle: true,
    format: 'iife',
    write: false,
    minify: true,
  })
  return result.outputFiles[0]!.text
}

test('signMessage through the vault vs in the page', async () => {
  const { page, email } = await openHostPage(context, demo)
  const address = await createWalletInPage(page, demo, { session: { ttlSeconds: 600 } })
  const pending = startInPage<string>(page, "wallet.signMessage('unlock')")
  await enterCodeInVault(page, await waitForCode(demo, email, 1))
  expect((await pending).ok).toBe(true)

  const vault = await page.evaluate(
    async ({ warmup, runs }) => {
      const wallet = (window as any).wallet
      for (let i = 0; i < warmup; i++) await wallet.signMessage(`warm ${i}`)
      const started = performance.now()
      let last = ''
      for (let i = 0; i < runs; i++) last = await wallet.signMessage(`bench ${i}`)
      const sequential = (performance.now() - started) / runs
      const t0 = performance.now()
      await Promise.all(Array.from({ length: runs }, (_, i) => wallet.signMessage(`par ${i}`)))
      const parallel = (performance.now() - t0) / runs
      const r0 = performance.now()
      for (let i = 0; i < runs; i++) await wallet.getSession()
      const roundTrip = (performance.now() - r0) / runs
      return { sequential, parallel, roundTrip, last }
    },
    { warmup: WARMUP, runs: RUNS },
  )
  expect(verifyMessage(`bench ${RUNS - 1}`, vault.last)).toBe(address)

  await page.addScriptTag({ content: await inPageSigner() })
  const inPage = await page.evaluate(
    ({ warmup, runs }) => {
      const sign = (window as any).benchSign as (key: Uint8Array, text: string) => string
      const key = crypto.getRandomValues(new Uint8Array(32))
      for (let i = 0; i < warmup; i++) sign(key, `warm ${i}`)
      const started = performance.now()
      for (let i = 0; i < runs; i++) sign(key, `bench ${i}`)
      return (performance.now() - started) / runs
    },
    { warmup: WARMUP, runs: RUNS },
  )

  const ms = (n: number) => `${n.toFixed(3)} ms`
  console.log(
    [
      `signMessage, ${RUNS} runs after ${WARMUP} warm-up, Chromium headless:`,
      `  in the page (same ethers signing code)   ${ms(inPage)}`,
      `  through the vault, one at a time         ${ms(vault.sequential)}  (${(vault.sequential / inPage).toFixed(2)}× in-page)`,
      `  through the vault, ${RUNS} in parallel       ${ms(vault.parallel)} each`,
      `  bare host↔vault round trip (getSession)  ${ms(vault.roundTrip)}`,
    ].join('\n'),
  )
})
