// Starts the whole demo in one process: the mail inbox (SMTP + web), the backend API, the
// vault on one origin and the example dApp on another. `npm start` and the browser tests
// both use this, so the tests exercise exactly what a developer runs.
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createOtpWalletServer, createSmtpMailer, createSqliteStore } from '../../dist/server/index.js'
import { createDemoAuth } from './demo-auth.mjs'
import { startMailInbox } from './mail-inbox.mjs'
import { listen, serveFile } from './static-files.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const VAULT_DIR = path.join(ROOT, 'dist/vault')
const DAPP_DIR = path.join(ROOT, 'examples/dapp')
const IIFE_FILE = '/otp-wallet.global.js'

/**
 * @param {object} [options]
 * @param {number} [options.hostPort]   example dApp, served on http://localhost
 * @param {number} [options.vaultPort]  vault, served on http://127.0.0.1
 * @param {number} [options.apiPort]    backend API, http://127.0.0.1
 * @param {number} [options.mailPort]   inbox web page and JSON, http://localhost
 * @param {number} [options.smtpPort]   SMTP server, 127.0.0.1
 * @param {string} [options.dataDir]    where the SQLite file and the demo master key live
 * @param {object} [options.server]     overrides for createOtpWalletServer (otp, session)
 * @param {{ frameable: boolean }[]} [options.extraHosts]  the dApp also on other origins (random
 *   ports), none of them in the vault's allowedOrigins; `frameable` ones are in frame-ancestors.
 *   For tests of the vault's origin checks.
 */
export async function launchDemo(options = {}) {
  const dataDir = options.dataDir ?? path.join(ROOT, '.demo-data')
  mkdirSync(dataDir, { recursive: true })
  const masterKey = loadOrCreateSecret(path.join(dataDir, 'master.key'))
  const auth = createDemoAuth(loadOrCreateSecret(path.join(dataDir, 'demo-token.key')))

  const inbox = await startMailInbox({ smtpPort: options.smtpPort ?? 0, httpPort: options.mailPort ?? 0, host: '127.0.0.1' })
  const servers = []

  // Ports are taken first so every origin is known before any config is written.
  const hostServer = http.createServer()
  const vaultServer = http.createServer()
  const apiServer = http.createServer()
  servers.push(hostServer, vaultServer, apiServer)
  const hostPort = await listen(hostServer, options.hostPort ?? 0, '127.0.0.1')
  const vaultPort = await listen(vaultServer, options.vaultPort ?? 0, '127.0.0.1')
  const apiPort = await listen(apiServer, options.apiPort ?? 0, '127.0.0.1')
  const extraHosts = []
  for (const { frameable } of options.extraHosts ?? []) {
    const server = http.createServer()
    servers.push(server)
    extraHosts.push({ url: `http://localhost:${await listen(server, 0, '127.0.0.1')}/`, frameable })
  }

  const urls = {
    dapp: `http://localhost:${hostPort}/`,
    vault: `http://127.0.0.1:${vaultPort}/`,
    api: `http://127.0.0.1:${apiPort}`,
    inbox: `http://localhost:${inbox.httpPort}/`,
    inboxJson: `http://localhost:${inbox.httpPort}/messages`,
    smtp: `smtp://127.0.0.1:${inbox.smtpPort}`,
    extraHosts: extraHosts.map((h) => h.url),
  }
  const hostOrigin = new URL(urls.dapp).origin
  const vaultOrigin = new URL(urls.vault).origin
  const allowedOrigins = [hostOrigin]
  const frameAncestors = [hostOrigin, ...extraHosts.filter((h) => h.frameable).map((h) => new URL(h.url).origin)]

  const store = createSqliteStore(path.join(dataDir, 'otp-wallet.sqlite'))
  const otpServer = createOtpWalletServer({
    authenticate: auth.authenticate,
    store,
    mailer: createSmtpMailer({ host: '127.0.0.1', port: inbox.smtpPort, secure: false, from: 'otp-wallet demo <wallet@demo.localhost>' }),
    masterKey,
    vaultOrigin,
    siteName: 'otp-wallet demo dApp',
    ...options.server,
  })
  apiServer.on('request', otpServer.nodeHandler)

  // allowHeadless: the demo and its tests use headless mode too; a production vault enables
  // it only if its dApp renders its own code prompt.
  const vaultConfig = JSON.stringify({ apiUrl: urls.api, allowedOrigins, allowHeadless: true })
  vaultServer.on('request', async (req, res) => {
    const url = new URL(req.url ?? '/', urls.vault)
    if (url.pathname === '/config.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      return res.end(vaultConfig)
    }
    const headers = { 'content-security-policy': `frame-ancestors ${frameAncestors.join(' ')}` }
    if (!(await serveFile(res, VAULT_DIR, url.pathname, headers))) res.writeHead(404).end('not found')
  })

  const dappConfig = `window.DEMO = ${JSON.stringify({ vaultUrl: urls.vault, inboxUrl: urls.inbox })};\n`
  const onHostRequest = async (req, res) => {
    const url = new URL(req.url ?? '/', urls.dapp)
    if (url.pathname === '/login' && req.method === 'POST') return handleLogin(req, res, auth)
    if (url.pathname === '/demo-config.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' })
      return res.end(dappConfig)
    }
    if (url.pathname === IIFE_FILE || url.pathname === `${IIFE_FILE}.map`) {
      if (await serveFile(res, path.join(ROOT, 'dist'), url.pathname)) return
    }
    if (!(await serveFile(res, DAPP_DIR, url.pathname))) res.writeHead(404).end('not found')
  }
  hostServer.on('request', onHostRequest)
  for (const server of servers.slice(3)) server.on('request', onHostRequest)

  return {
    urls,
    inbox,
    server: otpServer,
    async close() {
      await Promise.all(servers.map((s) => new Promise((r) => { s.closeAllConnections?.(); s.close(r) })))
      await inbox.close()
      otpServer.close()
    },
  }
}

async function handleLogin(req, res, auth) {
  let body = ''
  for await (const chunk of req) {
    body += chunk
    if (body.length > 4096) break
  }
  let email
  try {
    email = JSON.parse(body).email
  } catch {
    email = undefined
  }
  const token = auth.issueToken(email)
  res.writeHead(token ? 200 : 400, { 'content-type': 'application/json' })
  res.end(JSON.stringify(token ? { token } : { error: { code: 'INVALID_REQUEST', message: 'email: expected an email address' } }))
}

function loadOrCreateSecret(file) {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  const secret = '0x' + randomBytes(32).toString('hex')
  writeFileSync(file, secret + '\n', { mode: 0o600 })
  return secret
}
