/**
 * The vault's RPC methods (see MethodMap in src/protocol/messages.ts).
 *
 * Every method but `init`, `endSession` and `otp.cancel` needs `init` first: it fixes the
 * wallet address (from the backend, for the host's current token) and the options. Sign
 * methods validate their input BEFORE anything else, so a bad payload fails INVALID_REQUEST
 * without starting an OTP; then they use the live session, or wait on the OTP flow.
 */
import { getAddress } from 'ethers/address'
import { OtpWalletError } from '../src/protocol/errors.js'
import type { MethodParams, SessionInfo } from '../src/protocol/messages.js'
import type { BackendClient } from './backend-client.js'
import { sessionLease, type KeyLease } from './otp/key-lease.js'
import type { OtpFlow } from './otp/otp-flow.js'
import { paramsRecord, parseInitParams } from './params.js'
import type { Handlers, RequestContext } from './rpc-server.js'
import type { SessionManager } from './session/session-manager.js'
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
  backend: BackendClient
  session: SessionManager
  otp: OtpFlow
  storage: VaultStorage
}

export function createHandlers({ state, backend, session, otp, storage }: MethodDeps): Handlers {
  const requireInit = (): { options: MethodParams<'init'>; address: string } => {
    if (state.options === null || state.address === null) throw new OtpWalletError('INVALID_REQUEST', 'Call init first')
    return { options: state.options, address: state.address }
  }

  /** The live session's key, or the OTP flow's. */
  const withKey = async <T>(ctx: RequestContext, address: string, use: (walletKey: Uint8Array) => T): Promise<T> => {
    const live = session.current(address)
    const lease: KeyLease = live !== null ? sessionLease(live) : await otp.requestKey(ctx.auth, ctx.awaitingUser)
    return lease.use(use)
  }

  const sessionInfo = (address: string): SessionInfo => {
    const live = session.current(address)
    return live === null ? { active: false, expiresAt: null } : { active: true, expiresAt: live.expiresAt }
  }

  return {
    async init(params, ctx) {
      const options = parseInitParams(params)
      const address = checksum((await backend.getWallet(ctx.auth)).address)
      // Another user on this browser: their pending prompt and session are not this user's.
      if (state.address !== null && state.address !== address) otp.cancel()
      const live = session.current()
      if (live !== null && live.address !== address) await session.end(true)
      state.options = options
      state.address = address
      return { address, session: sessionInfo(address), storage: storage.kind }
    },

    async getSession() {
      return sessionInfo(requireInit().address)
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
      const tx = normalizeTransaction(paramsRecord(params).transaction, options.chainId)
      return { serialized: await withKey(ctx, address, (key) => signTransactionWithKey(key, tx)) }
    },

    /** Ends the session at the host's request. Returns null; no `session_expired` (the host knows). */
    async endSession() {
      await session.end(false)
      return null
    },

    async 'otp.submit'(params, ctx) {
      requireInit()
      await otp.submit(paramsRecord(params).code, ctx.auth, 'host')
      return null
    },

    async 'otp.resend'(_params, ctx) {
      requireInit()
      return otp.resend(ctx.auth, 'host')
    },

    async 'otp.cancel'() {
      otp.cancel()
      return null
    },
  }
}

function checksum(address: string): string {
  try {
    return getAddress(address)
  } catch {
    throw new OtpWalletError('BACKEND_ERROR', 'The backend returned an invalid wallet address', { details: { status: 200 } })
  }
}
