/**
 * Serves RpcRequests on the bound port and sends the vault's events.
 *
 * - A well-formed request whose method has a handler runs it; its result goes back as
 *   `{ id, result }`, a thrown error as `{ id, error }` via serializeError (code, message,
 *   details — never a stack; non-OtpWalletErrors become INTERNAL).
 * - Unknown method → UNKNOWN_METHOD.
 * - A request reusing an id that is still in flight → INVALID_REQUEST under that id (the host
 *   broke the id rule; the original request still runs and answers later).
 * - A malformed envelope that still has a usable id (positive safe integer) → INVALID_REQUEST
 *   under that id.
 * - A message with no usable id, and `messageerror` (could not be deserialized), are logged
 *   and dropped: there is nothing to address an answer to. This is the ONE silence in the
 *   protocol.
 * - `ctx.awaitingUser()` sends `{ id, status: 'awaiting_user' }` once, before a request waits
 *   on a person, so the host stops that request's timeout.
 */
import { OtpWalletError, serializeError } from '../src/protocol/errors.js'
import {
  isMethod,
  isRpcRequestEnvelope,
  type EventMap,
  type EventName,
  type Method,
  type MethodResult,
  type RpcProgress,
  type RpcResponse,
  type VaultEvent,
} from '../src/protocol/messages.js'
import { describeError, type Log } from './log.js'

export interface RequestContext {
  id: number
  /** The host's app-login token for this request. */
  auth: string | null
  /** Tells the host this request now waits on the user (sent at most once). */
  awaitingUser(): void
}

/** Params arrive unchecked; every handler validates its own and names the bad field. */
export type Handlers = { [M in Method]: (params: unknown, ctx: RequestContext) => Promise<MethodResult<M>> }

export interface EventSender {
  emit<E extends EventName>(event: E, data: EventMap[E]): void
}

/**
 * @example
 * const server = serveRpc(port, handlers, log)
 * server.emit('session_started', { expiresAt })
 */
export function serveRpc(port: MessagePort, handlers: Handlers, log: Log): EventSender {
  const inFlight = new Set<number>()

  const post = (message: RpcResponse | RpcProgress | VaultEvent): void => {
    try {
      port.postMessage(message)
    } catch (error) {
      // Only a result that cannot be cloned gets here; its id still gets an answer.
      log('could not post a message', describeError(error))
      if ('result' in message) post({ id: message.id, error: serializeError(new OtpWalletError('INTERNAL', 'Result could not be sent')) })
    }
  }

  const reply = (id: number, run: () => Promise<unknown>): void => {
    inFlight.add(id)
    // Through a promise, so a handler that throws synchronously still gets an answer.
    Promise.resolve().then(run).then(
      (result) => post({ id, result }),
      (error: unknown) => post({ id, error: serializeError(error) }),
    ).finally(() => inFlight.delete(id))
  }

  const onMessage = (event: MessageEvent): void => {
    const message: unknown = event.data
    if (!isRpcRequestEnvelope(message)) {
      const id = usableId(message)
      if (id === null) return log('malformed message without an id dropped')
      return post({ id, error: serializeError(new OtpWalletError('INVALID_REQUEST', 'Malformed request envelope')) })
    }
    const { id, method, params, auth } = message
    if (inFlight.has(id)) {
      return post({ id, error: serializeError(new OtpWalletError('INVALID_REQUEST', `Request id ${id} is already in flight`)) })
    }
    if (!isMethod(method)) {
      return post({ id, error: serializeError(new OtpWalletError('UNKNOWN_METHOD', `Unknown method: ${method.slice(0, 64)}`)) })
    }
    let progressSent = false
    const ctx: RequestContext = {
      id,
      auth,
      awaitingUser: () => {
        if (progressSent || !inFlight.has(id)) return
        progressSent = true
        post({ id, status: 'awaiting_user' })
      },
    }
    const handler = handlers[method] as (params: unknown, ctx: RequestContext) => Promise<unknown>
    reply(id, () => handler(params, ctx))
  }

  port.addEventListener('message', onMessage as EventListener)
  port.addEventListener('messageerror', () => log('undeserializable message dropped'))
  port.start()

  return {
    emit(event, data) {
      post({ event, data } as VaultEvent)
    },
  }
}

function usableId(message: unknown): number | null {
  if (typeof message !== 'object' || message === null) return null
  const id = (message as { id?: unknown }).id
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : null
}
