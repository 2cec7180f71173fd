/**
 * The vault's RPC methods (see MethodMap in src/protocol/messages.ts).
 *
 * Every method but `init`, `endSession` and `otp.cancel` needs `init` first: it fixes the
 * wallet address (from the backend, for the host's current token) and the options. Sign
 * methods validate their input BEFORE anything else, so a bad payload fails INVALID_REQUEST
 * without a backend call or an OTP; then the request's token must belong to the wallet's owner
 * (account-guard.ts); then they use the live session, or wait on the OTP flow.
 *
 * Tokens, method by method:
 * - sign*, otp.submit, otp.resend: the owner's token, checked by the guard (UNAUTHENTICATED when
 *   logged out or refused, ACCOUNT_CHANGED once another user's token was seen, until `init`).
 * - getSession: never fails for lack of a token, and never reports another user's session. It
 *   answers "would a signature with this token use a live session?": logged out, or after
 *   ACCOUNT_CHANGED → inactive; a token not seen before is confirmed like a signature's first
 *   (one GET /wallet; another user's token ends the session and reports inactive).
 * - endSession, otp.cancel: no token needed, also after ACCOUNT_CHANGED. They only take
 *   capability away, and a host's logout handler may call them after the token is gone.
 */
import { OtpWalletError } from '../src/protocol/errors.js'
import type { MethodParams, SessionInfo } from '../src/protocol/messages.js'
import type { AccountGuard } from './account-guard.js'
import type { BackendClient } from './backend-client.js'
import type { VaultConfig } from './config.js'
import { sessionLease, type KeyLease } from './otp/key-lease.js'
import type { OtpFlow } from './otp/otp-flow.js'
import { paramsRecord, parseInitParams, withoutFrom } from './params.js'
import type { Handlers, RequestContext } from './rpc-server.js'
import { sessionServes } from './session/session-serves.js'
import type { SessionManager, SessionRecord } from './session/session-manager.js'
import { messageBytes } from './signing/normalize-message.js'
import { normalizeTransaction } from './signing/normalize-transaction.js'
import { normalizeTypedData } from './signing/normalize-typed-data.js'
import { signMessageWithKey, signTransactionWithKey, signTypedDataWithKey } from './signing/sign.js'
import type { VaultStorage } from './storage/vault-storage.js'

/** What `init` establishes. */
export interface VaultState {
  options: MethodParams<'init'> | null
  /** Checksummed wallet address for the current host user; null before `init`. */
  address: string | null
}

export interface MethodDeps {
  state: VaultState
  config: Pick<VaultConfig, 'allowHeadless'>
  backend: BackendClient
  session: SessionManager
  otp: OtpFlow
  guard: AccountGuard
  storage: VaultStorage
}

const INACTIVE: SessionInfo = { active: false, expiresAt: null }

export function createHandlers({ state, config, backend, session, otp, guard, storage }: MethodDeps): Handlers {
  const requireInit = (): { options: MethodParams<'init'>; address: string } => {
    guard.assertSameAccount()
    if (state.options === null || state.address === null) throw new OtpWalletError('INVALID_REQUEST', 'Call init first')
    return { options: state.options, address: state.address }
  }

  /** The live session this page may sign with: the owner's, and no longer than the page asked for. */
  const usableSession = (address: string): SessionRecord | null => {
    const live = session.current(address)
    return live !== null && sessionServes(live, address, state.options?.sessionTtlSeconds ?? null) ? live : null
  }

  /** For the owner's token only: the live session's key, or the OTP flow's. */
  const withKey = async <T>(ctx: RequestContext, address: string, use: (walletKey: Uint8Array) => T): Promise<T> => {
    await guard.check(ctx.auth)
    const live = usableSession(address)
    const lease: KeyLease = live !== null ? sessionLease(live) : await otp.requestKey(ctx.auth, ctx.awaitingUser)
    return lease.use(use)
  }

  const sessionInfo = (address: string): SessionInfo => {
    const live = usableSession(address)
    return live === null ? INACTIVE : { active: true, expiresAt: live.expiresAt }
  }

  return {
    async init(params, ctx) {
      const options = parseInitParams(params)
      if (options.ui === 'headless' && !config.allowHeadless) {
        throw new OtpWalletError(
          'INVALID_CONFIG',
          'ui: headless mode hands the emailed code to the host page\'s scripts; enable it with "allowHeadless": true in the vault\'s config.json',
          { details: { field: 'ui' } },
        )
      }
      const wallet = await backend.getWallet(ctx.auth)
      const max = wallet.session.maxTtlSeconds
      if (options.sessionTtlSeconds !== null && options.sessionTtlSeconds > max) {
        throw new OtpWalletError(
          'INVALID_CONFIG',
          `session.ttlSeconds: ${options.sessionTtlSeconds} is longer than the backend allows (its session.maxTtlSeconds is ${max})`,
          { details: { field: 'session.ttlSeconds', maxTtlSeconds: max } },
        )
      }
      const address = wallet.address
      // Another user on this browser: their pending prompt and session are not this user's.
      if (state.address !== null && state.address !== address) otp.cancel()
      const live = session.current()
      if (live !== null && live.address !== address) await session.end(true)
      state.options = options
      state.address = address
      // getWallet succeeded, so the token was present and the backend accepted it.
      guard.confirm(address, ctx.auth as string)
      return { address, session: sessionInfo(address), storage: storage.kind }
    },

    async getSession(_params, ctx) {
      if (guard.accountChanged) return INACTIVE
      const { address } = requireInit()
      // Logged out: nothing would sign now. The session is kept for the owner's return.
      if (ctx.auth === null || ctx.auth === '') return INACTIVE
      try {
        await guard.check(ctx.auth)
      } catch (error) {
        if (error instanceof OtpWalletError && error.code === 'ACCOUNT_CHANGED') return INACTIVE
        throw error
      }
      return sessionInfo(address)
    },

    async signMessage(params, ctx) {
      const { address } = requireInit()
      const message = paramsRecord(params).message
      messageBytes(message) // validates now; signMessageWithKey reads the same (cloned, private) value later
      return { signature: await withKey(ctx, address, (key) => signMessageWithKey(key, message)) }
    },

    async signTypedData(params, ctx) {
      const { address } = requireInit()
      const typedData = normalizeTypedData(paramsRecord(params).payload)
      return { signature: await withKey(ctx, address, (key) => signTypedDataWithKey(key, typedData)) }
    },

    async signTransaction(params, ctx) {
      const { address, options } = requireInit()
      const tx = normalizeTransaction(withoutFrom(paramsRecord(params).transaction, address), options.chainId)
      return { serialized: await withKey(ctx, address, (key) => signTransactionWithKey(key, tx)) }
    },

    /**
     * Ends the session at the host's request, here, in storage and in this vault's other tabs.
     * Returns null; no `session_expired` to this host (it knows). Needs no token (see above).
     */
    async endSession() {
      await session.end(false)
      return null
    },

    async 'otp.submit'(params, ctx) {
      requireInit()
      await guard.check(ctx.auth)
      await otp.submit(paramsRecord(params).code, ctx.auth, 'host')
      return null
    },

    async 'otp.resend'(_params, ctx) {
      requireInit()
      await guard.check(ctx.auth)
      return otp.resend(ctx.auth, 'host')
    },

    async 'otp.cancel'() {
      otp.cancel()
      return null
    },
  }
}
