import { OtpWalletError } from '../protocol/errors.js'
import type {
  EventMap,
  Method,
  MethodParams,
  MethodResult,
  OtpRequiredData,
  SessionInfo,
  StorageKind,
  TransactionRequest,
  TypedDataField,
  TypedDataPayload,
  VaultEvent,
} from '../protocol/messages.js'
import { Emitter } from './emitter.js'
import { connectToVault } from './handshake.js'
import { resolveOptions, type CreateWalletOptions, type ResolvedOptions } from './options.js'
import { RpcClient } from './rpc-client.js'
import { toSignableMessage, type MessageInput } from './signable-message.js'
import { appendVaultFrame, type VaultFrame } from './vault-frame.js'

/** `otp_required`: a code was emailed. In headless mode, call `submit(code)` with what the user typed. */
export interface OtpRequiredEvent extends OtpRequiredData {
  /** Resolves when the code is accepted; rejects OTP_INVALID (with `details.attemptsLeft`) and the like. */
  submit(code: string): Promise<void>
  /** Emails a new code (after `resendAfter`); the old one stops working. */
  resend(): Promise<{ resendAfter: number; expiresAt: number }>
  /** Gives up: the waiting signature requests reject with USER_CANCELLED. */
  cancel(): Promise<void>
}

export interface WalletEvents {
  [event: string]: unknown
  otp_required: OtpRequiredEvent
  session_started: { expiresAt: number }
  session_expired: Record<string, never>
  storage_fallback: { reason: string }
}

export type WalletEventName = 'otp_required' | 'session_started' | 'session_expired' | 'storage_fallback'

export interface OtpWallet {
  /** Resolves with the address once the vault has connected and the backend has confirmed the wallet. */
  readonly ready: Promise<string>
  /** The wallet's address, or null until `ready` resolves. */
  readonly address: string | null
  /** Where the vault keeps the session: IndexedDB, or tab memory where the browser refuses it. Null until ready. */
  readonly storage: StorageKind | null
  /** Asks the vault; `expiresAt` is epoch ms on this browser's clock. */
  getSession(): Promise<SessionInfo>
  /** EIP-191 personal_sign. A string is signed as UTF-8 text; a Uint8Array or `{ raw: '0x…' }` as bytes. */
  signMessage(message: MessageInput): Promise<string>
  /** EIP-712 (v4). Either ethers' `(domain, types, value)` or one viem-style payload object or its JSON string. */
  signTypedData(
    domain: Record<string, unknown>,
    types: Record<string, ReadonlyArray<TypedDataField>>,
    value: Record<string, unknown>,
  ): Promise<string>
  signTypedData(payload: TypedDataPayload | string): Promise<string>
  /** Signs a legacy, EIP-2930 or EIP-1559 transaction; returns the serialized signed transaction. */
  signTransaction(transaction: TransactionRequest): Promise<string>
  /** Ends the session now: the next signature asks for a new code. */
  endSession(): Promise<void>
  on<E extends WalletEventName>(event: E, listener: (data: WalletEvents[E]) => void): void
  off<E extends WalletEventName>(event: E, listener: (data: WalletEvents[E]) => void): void
  /** Removes the iframe and rejects everything in flight with DESTROYED. */
  destroy(): void
}

/**
 * Creates an embedded wallet backed by the vault iframe at `vaultUrl`.
 *
 * @example
 * const wallet = createWallet({
 *   vaultUrl: 'https://vault.example/',
 *   getAuthToken: () => session.token,
 *   chainId: 1,
 * })
 * const address = await wallet.ready
 * const signature = await wallet.signMessage('hello')   // first call emails a code
 */
export function createWallet(options: CreateWalletOptions): OtpWallet {
  const resolved = resolveOptions(options)
  return new Wallet(resolved)
}

class Wallet implements OtpWallet {
  readonly ready: Promise<string>
  readonly #options: ResolvedOptions
  readonly #emitter = new Emitter<WalletEvents>()
  readonly #abort = new AbortController()
  readonly #frame: VaultFrame
  readonly #rpc: Promise<RpcClient>
  #address: string | null = null
  #storage: StorageKind | null = null
  #destroyed = false
  /** The latest init attempt; replaced when it failed for a reason that can pass (not logged in yet). */
  #initialized: Promise<string>

  constructor(options: ResolvedOptions) {
    this.#options = options
    this.#frame = appendVaultFrame(options.vaultUrl, options.container)
    this.#rpc = connectToVault({
      frameWindow: this.#frame.window,
      frameLoaded: this.#frame.loaded,
      vaultOrigin: options.vaultUrl.origin,
      timeoutMs: options.timeoutMs,
      signal: this.#abort.signal,
    }).then((port) => {
      if (this.#destroyed) {
        port.close()
        throw destroyedError()
      }
      return new RpcClient(port, (event) => this.#onVaultEvent(event))
    })
    this.ready = this.#initialized = this.#init()
    // Every method awaits initialization itself; keep an unobserved `ready` from being reported.
    this.ready.catch(() => {})
  }

  get address(): string | null {
    return this.#address
  }

  get storage(): StorageKind | null {
    return this.#storage
  }

  async getSession(): Promise<SessionInfo> {
    try {
      await this.#whenInitialized()
    } catch (error) {
      // Nobody is logged in to the app: there is no session for this page to use.
      if (error instanceof OtpWalletError && error.code === 'UNAUTHENTICATED') return { active: false, expiresAt: null }
      throw error
    }
    return this.#call('getSession', {})
  }

  async signMessage(message: MessageInput): Promise<string> {
    const params = { message: toSignableMessage(message) }
    await this.#beforeSigning()
    return (await this.#call('signMessage', params)).signature
  }

  signTypedData(
    domain: Record<string, unknown>,
    types: Record<string, ReadonlyArray<TypedDataField>>,
    value: Record<string, unknown>,
  ): Promise<string>
  signTypedData(payload: TypedDataPayload | string): Promise<string>
  async signTypedData(...args: unknown[]): Promise<string> {
    if (args.length === 2 || args.length > 3) {
      throw new OtpWalletError('INVALID_REQUEST', 'signTypedData takes (domain, types, value) or one payload { domain, types, primaryType, message }', {
        details: { field: args.length === 2 ? 'value' : 'arguments' },
      })
    }
    const payload =
      args.length === 3
        ? ({ domain: args[0], types: args[1], message: args[2] } as TypedDataPayload)
        : (args[0] as TypedDataPayload | string)
    await this.#beforeSigning()
    return (await this.#call('signTypedData', { payload })).signature
  }

  async signTransaction(transaction: TransactionRequest): Promise<string> {
    await this.#beforeSigning()
    return (await this.#call('signTransaction', { transaction })).serialized
  }

  /** Needs no login: an app's logout handler may call it after its token is gone. */
  async endSession(): Promise<void> {
    await this.#call('endSession', {})
  }

  on<E extends WalletEventName>(event: E, listener: (data: WalletEvents[E]) => void): void {
    this.#emitter.on(event, listener)
  }

  off<E extends WalletEventName>(event: E, listener: (data: WalletEvents[E]) => void): void {
    this.#emitter.off(event, listener)
  }

  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#abort.abort()
    this.#rpc.then((rpc) => rpc.close(), () => {})
    this.#frame.remove()
    this.#emitter.clear()
  }

  /**
   * The wallet's address once init succeeded. An init that failed because the user was not
   * logged in yet (or the backend was briefly away) is tried again, so a wallet created at page
   * load works once the app has a token; handshake failures stay final.
   */
  #whenInitialized(): Promise<string> {
    this.#initialized = this.#initialized.catch((error: unknown) => {
      if (error instanceof OtpWalletError && RETRYABLE_INIT_CODES.has(error.code)) return this.#init()
      throw error
    })
    return this.#initialized
  }

  /**
   * In headless mode nobody but an `otp_required` listener can answer a code request; without
   * one, refuse before the vault emails a code nobody can type.
   */
  async #beforeSigning(): Promise<void> {
    await this.#whenInitialized()
    if (this.#options.ui !== 'headless' || this.#emitter.listenerCount('otp_required') > 0) return
    const session = await this.#call('getSession', {})
    if (!session.active) {
      throw new OtpWalletError('INVALID_CONFIG', "ui is 'headless' but nothing listens to 'otp_required': add wallet.on('otp_required', …) before signing", {
        details: { field: 'ui' },
      })
    }
  }

  async #init(): Promise<string> {
    const { address, storage } = await this.#call('init', {
      chainId: this.#options.chainId,
      ui: this.#options.ui,
      sessionTtlSeconds: this.#options.sessionTtlSeconds,
    })
    this.#address = address
    this.#storage = storage
    return address
  }

  async #call<M extends Method>(method: M, params: MethodParams<M>): Promise<MethodResult<M>> {
    if (this.#destroyed) throw destroyedError()
    const rpc = await this.#rpc
    const auth = await this.#authToken()
    return rpc.request(method, params, auth, this.#options.timeoutMs)
  }

  async #authToken(): Promise<string | null> {
    let token: string | null | undefined
    try {
      token = await this.#options.getAuthToken()
    } catch (cause) {
      throw new OtpWalletError('UNAUTHENTICATED', 'getAuthToken threw; the user needs to log in to the app first', { cause })
    }
    if (token === null || token === undefined || token === '') return null
    if (typeof token !== 'string') {
      throw new OtpWalletError('INVALID_CONFIG', 'getAuthToken must return a string (or null when logged out)', {
        details: { field: 'getAuthToken' },
      })
    }
    return token
  }

  #onVaultEvent(message: VaultEvent): void {
    switch (message.event) {
      case 'ui:open':
        this.#frame.showOverlay()
        return
      case 'ui:close':
        this.#frame.hideOverlay()
        return
      case 'otp_required':
        return this.#onOtpRequired(message.data as EventMap['otp_required'])
      case 'session_started':
      case 'session_expired':
      case 'storage_fallback':
        this.#emitter.emit(message.event, message.data as WalletEvents[typeof message.event])
        return
      case 'connected':
        return
    }
  }

  #onOtpRequired(data: OtpRequiredData): void {
    const event: OtpRequiredEvent = {
      ...data,
      submit: async (code: string) => {
        if (typeof code !== 'string') {
          throw new OtpWalletError('INVALID_REQUEST', 'code: expected a string (codes keep their leading zeros)', {
            details: { field: 'code' },
          })
        }
        await this.#call('otp.submit', { code })
      },
      resend: () => this.#call('otp.resend', {}),
      cancel: async () => {
        await this.#call('otp.cancel', {})
      },
    }
    if (this.#options.ui === 'headless' && this.#emitter.listenerCount('otp_required') === 0) {
      console.warn("otp-wallet: ui is 'headless' but nothing listens to 'otp_required'; cancelling the code request")
      event.cancel().catch(() => {})
      return
    }
    this.#emitter.emit('otp_required', event)
  }
}

const RETRYABLE_INIT_CODES: ReadonlySet<string> = new Set(['UNAUTHENTICATED', 'BACKEND_ERROR', 'TIMEOUT'])

function destroyedError(): OtpWalletError {
  return new OtpWalletError('DESTROYED', 'The wallet was destroyed; create a new one')
}
