/**
 * `createOtpWalletServer`: the backend of the vault ↔ backend contract (src/protocol/backend.ts)
 * as a fetch-style handler, plus a node:http adapter.
 *
 * Per request:
 *   1. Method: anything but GET, POST, OPTIONS (HEAD, PUT, TRACE…) → 405 INVALID_REQUEST with
 *      `Allow: GET, POST, OPTIONS` (field `method`).
 *   2. Origin: present and not the vault origin → 403 ORIGIN_NOT_ALLOWED, readable by that
 *      origin (its preflight gets a 204 so the browser sends the request that earns the 403;
 *      see originRefusedResponse in http.ts). CORS for the vault origin only; Vary: Origin always.
 *   3. OPTIONS → 204 preflight.
 *   4. Route: unknown path → 404 NOT_FOUND; known path, wrong method → 405 INVALID_REQUEST.
 *   5. Content-Length above 16 KiB → 413 INVALID_REQUEST (field `body`), body unread.
 *   6. authenticate(request) → null: 401 UNAUTHENTICATED. It gets the request unread; the
 *      body is read (bounded, 413 past 16 KiB) only by the route, after this.
 *   7. The route. OtpWalletErrors become `{ error: { code, message, details? } }`; anything
 *      else is logged through onError and answered 500 INTERNAL "Internal error".
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { BACKEND_ROUTES } from '../protocol/backend.js'
import { OtpWalletError } from '../protocol/errors.js'
import { resolveConfig, type AuthenticatedUser, type OtpWalletServerConfig } from './config.js'
import type { RouteInput, ServerContext } from './context.js'
import {
  ALLOWED_METHODS,
  bodyTooLarge,
  corsHeaders,
  declaresTooLargeBody,
  errorResponse,
  httpError,
  httpStatusOf,
  internalErrorResponse,
  MAX_BODY_BYTES,
  methodNotAllowedResponse,
  originRefusedResponse,
  preflightResponse,
} from './http.js'
import { toNodeHandler } from './node-adapter.js'
import { postChallenge } from './routes/challenge.js'
import { postVerify } from './routes/verify.js'
import { getWallet } from './routes/wallet.js'
import { deriveServerKeys } from './server-keys.js'
import { normalizeEmail, pregenerateWallet } from './wallets.js'

export interface OtpWalletServer {
  /** Fetch-style handler: mount it in any framework that speaks Request/Response. */
  handler(request: Request): Promise<Response>
  /** The same for node:http: `http.createServer(server.nodeHandler)`. */
  nodeHandler(req: IncomingMessage, res: ServerResponse): void
  /** Creates (or returns) the wallet of `email` before its user ever logs in. */
  pregenerateWallet(email: string): Promise<{ address: string }>
  /** Closes the store and the mailer; later requests get 503. */
  close(): void
}

interface Route {
  method: 'GET' | 'POST'
  run: (input: RouteInput) => Promise<Response>
}

const ROUTES: Record<string, Route> = {
  [BACKEND_ROUTES.wallet]: { method: 'GET', run: getWallet },
  [BACKEND_ROUTES.challenge]: { method: 'POST', run: postChallenge },
  [BACKEND_ROUTES.verify]: { method: 'POST', run: postVerify },
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+$/
const CONTROL_RE = /[\x00-\x1f\x7f]/

/** `authenticate` is the app's code: check what it returns before trusting it. */
function checkUser(value: unknown): AuthenticatedUser {
  if (typeof value !== 'object' || value === null) throw new Error('authenticate returned neither null nor { userId, email }')
  const { userId, email } = value as Record<string, unknown>
  if (typeof userId !== 'string' || userId === '' || userId.length > 512 || CONTROL_RE.test(userId)) {
    throw new Error('authenticate returned an invalid userId (expected a non-empty string)')
  }
  if (typeof email !== 'string' || email.trim().length > 254 || !EMAIL_RE.test(email.trim()) || CONTROL_RE.test(email)) {
    throw new Error('authenticate returned an invalid email')
  }
  return { userId, email: email.trim() }
}

function withHeaders(response: Response, headers: Record<string, string>): Response {
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value)
  return response
}

/**
 * @example
 * const server = createOtpWalletServer({
 *   authenticate: async (req) => verifyMyAppToken(req.headers.get('authorization')),
 *   store: createSqliteStore('./otp-wallet.sqlite'),
 *   mailer: createSmtpMailer({ host: 'smtp.example.com', port: 587, auth, from: 'no-reply@mydapp.example' }),
 *   masterKey: process.env.OTP_WALLET_MASTER_KEY!,
 *   vaultOrigin: 'https://vault.mydapp.example',
 * })
 * http.createServer(server.nodeHandler).listen(8787)
 */
export function createOtpWalletServer(options: OtpWalletServerConfig): OtpWalletServer {
  const config = resolveConfig(options)
  const keysPromise = deriveServerKeys(config.masterKey)
  keysPromise.catch(() => undefined) // surfaced by the first request that needs the keys
  const report = (error: unknown, context: { method: string; path: string }): void => {
    try {
      config.onError(error, context)
    } catch {
      // a failing logger must not turn into a crash
    }
  }
  const ctx: ServerContext = { config, keys: () => keysPromise, report }
  let closed = false

  async function handler(request: Request): Promise<Response> {
    const method = request.method.toUpperCase()
    let path = '/'
    try {
      path = new URL(request.url).pathname
    } catch {
      // Request.url is always absolute; keep '/' if a polyfill says otherwise
    }
    if (!ALLOWED_METHODS.has(method)) return methodNotAllowedResponse(method)
    const origin = request.headers.get('origin')
    if (origin !== null && origin !== config.vaultOrigin) {
      return originRefusedResponse(origin, method === 'OPTIONS' && request.headers.has('access-control-request-method'))
    }
    const cors = corsHeaders(origin, config.vaultOrigin)
    try {
      if (closed) return errorResponse(httpError(503, 'INTERNAL', 'The server is shutting down'), cors)
      if (method === 'OPTIONS') return preflightResponse(origin === null ? null : config.vaultOrigin)

      const routePath = path.startsWith(config.basePath) ? path.slice(config.basePath.length) : null
      const route = routePath === null ? undefined : ROUTES[routePath]
      if (route === undefined) throw new OtpWalletError('NOT_FOUND', `No route ${path}`)
      if (method !== route.method) {
        return errorResponse(
          httpError(405, 'INVALID_REQUEST', `method: ${path} accepts ${route.method} only`, { field: 'method' }),
          { ...cors, Allow: route.method },
        )
      }
      if (declaresTooLargeBody(request.headers.get('content-length'), MAX_BODY_BYTES)) throw bodyTooLarge(MAX_BODY_BYTES)

      const claimed = await config.authenticate(request)
      if (claimed === null || claimed === undefined) throw new OtpWalletError('UNAUTHENTICATED', 'Missing or invalid app-login token')
      const user = checkUser(claimed)

      return withHeaders(await route.run({ ctx, request, user }), cors)
    } catch (error) {
      if (error instanceof OtpWalletError && httpStatusOf(error) < 500) return errorResponse(error, cors)
      if (error instanceof OtpWalletError && (error.code === 'MAIL_FAILED' || httpStatusOf(error) === 503)) return errorResponse(error, cors)
      report(error, { method, path })
      return internalErrorResponse(cors)
    }
  }

  return {
    handler,
    nodeHandler: toNodeHandler(handler, { onError: report }),
    async pregenerateWallet(email: string) {
      if (typeof email !== 'string' || !EMAIL_RE.test(email.trim()) || email.trim().length > 254) {
        throw new OtpWalletError('INVALID_REQUEST', 'email: expected an email address', { details: { field: 'email' } })
      }
      if (closed) throw new OtpWalletError('INTERNAL', 'The server is closed')
      const wallet = await pregenerateWallet(ctx, normalizeEmail(email))
      return { address: wallet.address }
    },
    close() {
      if (closed) return
      closed = true
      for (const release of [() => config.store.close(), () => config.mailer.close?.()]) {
        try {
          release()
        } catch (error) {
          report(error, { method: 'CLOSE', path: '' })
        }
      }
    },
  }
}
