/**
 * Host side of the RPC that runs over the handshake's private port.
 *
 * Each request gets an id and a timeout. A request the vault marks `awaiting_user` (it is
 * showing the code prompt, or waiting for `otp_required.submit`) loses its timeout: people
 * take longer than machines, and the challenge's own expiry bounds the wait.
 */
import { OtpWalletError } from '../protocol/errors.js'
import {
  isRpcProgress,
  isRpcResponse,
  isVaultEvent,
  type Method,
  type MethodParams,
  type MethodResult,
  type RpcRequest,
  type VaultEvent,
} from '../protocol/messages.js'

interface PendingRequest {
  method: Method
  resolve: (result: unknown) => void
  reject: (error: OtpWalletError) => void
  timer: ReturnType<typeof setTimeout> | undefined
}

export class RpcClient {
  readonly #port: MessagePort
  readonly #pending = new Map<number, PendingRequest>()
  readonly #onEvent: (event: VaultEvent) => void
  #nextId = 1
  #closed = false

  constructor(port: MessagePort, onEvent: (event: VaultEvent) => void) {
    this.#port = port
    this.#onEvent = onEvent
    port.onmessage = (event: MessageEvent) => this.#receive(event.data)
  }

  request<M extends Method>(method: M, params: MethodParams<M>, auth: string | null, timeoutMs: number): Promise<MethodResult<M>> {
    if (this.#closed) return Promise.reject(new OtpWalletError('DESTROYED', 'The wallet was destroyed; create a new one'))
    const id = this.#nextId++
    const message: RpcRequest<M> = { id, method, params, auth }
    return new Promise<MethodResult<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(new OtpWalletError('TIMEOUT', `The vault did not answer ${method} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.#pending.set(id, { method, resolve: resolve as (r: unknown) => void, reject, timer })
      try {
        this.#port.postMessage(message)
      } catch (cause) {
        clearTimeout(timer)
        this.#pending.delete(id)
        const field = findUncloneable(params)
        reject(
          new OtpWalletError('INVALID_REQUEST', `${field ?? method}: cannot be sent to the vault (functions, symbols and class instances like DOM nodes cannot be cloned)`, {
            cause,
            ...(field === undefined ? {} : { details: { field } }),
          }),
        )
      }
    })
  }

  /** Rejects everything in flight with DESTROYED and stops listening. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#port.onmessage = null
    this.#port.close()
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer)
      pending.reject(new OtpWalletError('DESTROYED', `The wallet was destroyed before ${pending.method} finished`))
    }
    this.#pending.clear()
  }

  #receive(message: unknown): void {
    if (isRpcResponse(message)) {
      const pending = this.#pending.get(message.id)
      if (!pending) return
      this.#pending.delete(message.id)
      clearTimeout(pending.timer)
      if ('error' in message) pending.reject(OtpWalletError.fromSerialized(message.error))
      else pending.resolve(message.result)
    } else if (isRpcProgress(message)) {
      const pending = this.#pending.get(message.id)
      if (pending) {
        clearTimeout(pending.timer)
        pending.timer = undefined
      }
    } else if (isVaultEvent(message)) {
      this.#onEvent(message)
    }
  }
}

/** The path of the first value structured clone refuses, e.g. `transaction.value`; params' own key is dropped. */
function findUncloneable(value: unknown, path = ''): string | undefined {
  try {
    structuredClone(value)
    return undefined
  } catch {
    if (typeof value !== 'object' || value === null) return path || undefined
    for (const [key, child] of Object.entries(value)) {
      const found = findUncloneable(child, path ? `${path}.${key}` : key)
      if (found !== undefined) return found
    }
    return path || undefined
  }
}
