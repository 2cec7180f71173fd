/**
 * Browser-test harness: the real demo (backend + SQLite + SMTP inbox + vault + dApp on two
 * origins) on random loopback ports, and headless Chromium driven by playwright-core.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { chromium, type BrowserContext, type Frame, type Page } from 'playwright-core'
import { launchDemo } from '../../examples/demo/launch.mjs'
import { findChromium } from '../../scripts/find-chromium.mjs'

export type Demo = Awaited<ReturnType<typeof launchDemo>> & { dataDir: string }

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export async function startDemo(options: Parameters<typeof launchDemo>[0] = {}): Promise<Demo> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'otp-wallet-e2e-'))
  const demo = await launchDemo({ ...options, dataDir })
  return {
    ...demo,
    dataDir,
    async close() {
      await demo.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * A browser profile like a default Chrome user's: persistent, third-party storage allowed.
 * Chromium (unlike Chrome's default) blocks third-party cookies, and with them third-party
 * IndexedDB, so the cross-site vault would fall back to memory. Playwright's
 * `browser.newContext()` is an incognito-style profile that blocks them too; `incognito: true`
 * gives that profile, for the tests of the memory fallback. `dispose()` removes the folder.
 */
export async function openBrowser({ incognito = false } = {}): Promise<BrowserContext & { dispose(): Promise<void> }> {
  const executablePath = findChromium()
  if (!executablePath) throw new Error('No Chromium found; run `node scripts/ensure-chromium.mjs`')
  if (incognito) {
    const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 60_000 })
    const context = await browser.newContext()
    return Object.assign(context, { dispose: () => browser.close() })
  }
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'otp-wallet-chromium-'))
  mkdirSync(path.join(userDataDir, 'Default'))
  writeFileSync(path.join(userDataDir, 'Default', 'Preferences'), JSON.stringify(ALLOW_THIRD_PARTY_STORAGE))
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath, args: CHROMIUM_ARGS, timeout: 60_000 })
  return Object.assign(context, {
    async dispose() {
      await context.close()
      rmSync(userDataDir, { recursive: true, force: true })
    },
  })
}

const ALLOW_THIRD_PARTY_STORAGE = { profile: { cookie_controls_mode: 0, block_third_party_cookies: false } }

let emailCounter = 0

/** A fresh user: a unique email, logged in to the demo app. Returns the page on the host origin. */
export async function openHostPage(
  context: BrowserContext,
  demo: Demo,
  { hostUrl = demo.urls.dapp, email }: { hostUrl?: string; email?: string } = {},
): Promise<{ page: Page; email: string; token: string }> {
  const user = email ?? `user${process.pid}-${Date.now()}-${++emailCounter}@example.com`
  const page = await context.newPage()
  await page.goto(new URL('blank.html', hostUrl).href)
  const token = await page.evaluate(async (e) => {
    const response = await fetch('/login', { method: 'POST', body: JSON.stringify({ email: e }) })
    const body = (await response.json()) as { token: string }
    sessionStorage.setItem('token', body.token)
    return body.token
  }, user)
  return { page, email: user, token }
}

/**
 * Creates `window.wallet` in the page. `options` is merged into createWallet's options;
 * `getAuthToken` reads the token the login stored.
 */
export async function createWalletInPage(page: Page, demo: Demo, options: Record<string, unknown> = {}): Promise<string> {
  return page.evaluate(
    async ({ vaultUrl, options }) => {
      const w = window as unknown as Record<string, any>
      w.events = []
      w.wallet = w.OtpWallet.createWallet({ vaultUrl, getAuthToken: () => sessionStorage.getItem('token'), ...options })
      for (const name of ['session_started', 'session_expired', 'storage_fallback']) {
        w.wallet.on(name, (data: unknown) => w.events.push({ name, data }))
      }
      return w.wallet.ready
    },
    { vaultUrl: demo.urls.vault, options },
  )
}

/** Runs `fn` against window.wallet in the page without awaiting it; returns a handle to await later. */
export function startInPage<T>(page: Page, expression: string): Promise<{ ok: true; value: T } | { ok: false; code: string; message: string; details?: unknown }> {
  return page.evaluate(async (expr) => {
    try {
      // eslint-disable-next-line no-new-func
      const value = await new Function('wallet', `return (${expr})`)((window as any).wallet)
      return { ok: true as const, value }
    } catch (e: any) {
      return { ok: false as const, code: String(e?.code), message: String(e?.message), details: e?.details }
    }
  }, expression)
}

export function vaultFrame(page: Page): Frame {
  const frame = page.frames().find((f) => f !== page.mainFrame() && f.url().startsWith('http://127.0.0.1'))
  if (!frame) throw new Error('vault frame not found')
  return frame
}

/** Waits for the n-th email to `email` (1-based) and returns the code in it. */
export async function waitForCode(demo: Demo, email: string, nth: number, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const mails = demo.inbox.messages.filter((m: { to: string }) => m.to.toLowerCase().includes(email.toLowerCase()))
    if (mails.length >= nth) return extractCode(mails[nth - 1].text)
    if (Date.now() > deadline) throw new Error(`no email #${nth} to ${email} within ${timeoutMs} ms (have ${mails.length})`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export function mailCount(demo: Demo, email: string): number {
  return demo.inbox.messages.filter((m: { to: string }) => m.to.toLowerCase().includes(email.toLowerCase())).length
}

export function extractCode(text: string): string {
  const match = /code[^:\n]*:\s*([0-9A-Z]{6,12})\b/i.exec(text)
  if (!match) throw new Error(`no code in email:\n${text}`)
  return match[1]!
}

/** Types `code` into the vault's prompt and submits it. */
export async function enterCodeInVault(page: Page, code: string): Promise<void> {
  const frame = page.frameLocator('iframe[data-otp-wallet-vault]')
  await frame.locator('#otp-code').fill(code)
  await frame.locator('#otp-submit').click()
}
