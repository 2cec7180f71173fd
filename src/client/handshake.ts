/**
 * Host side of the host ↔ vault handshake.
 *
 * 1. The caller has appended the vault iframe. We wait for its `load` event: before it, the
 *    frame still holds about:blank and every post would be dropped with a console warning.
 *    The vault's script may still not be listening after `load` (it fetches its config first).
 * 2. Every RETRY_INTERVAL_MS we open a fresh MessageChannel and post `ConnectMessage` to the
 *    iframe's window with targetOrigin = the vault's exact origin, transferring one port.
 *    Every retry carries the same `channelId`, so the vault binds to exactly one of them.
 * 3. The first port that receives `{ event: 'connected', data: { v } }` wins: the other ports
 *    are closed and retries stop. A `v` other than ours is PROTOCOL_VERSION_MISMATCH.
 * 4. A port that receives `connect_refused` ends the handshake with that error
 *    (ORIGIN_NOT_ALLOWED, PROTOCOL_VERSION_MISMATCH, INVALID_CONFIG).
 * 5. No answer within `timeoutMs` → VAULT_UNREACHABLE.
 * After this, host and vault speak only over the winning port.
 */
import { OtpWalletError } from '../protocol/errors.js'
import {
  PROTOCOL_NAMESPACE,
  PROTOCOL_VERSION,
  isConnectRefused,
  isVaultEvent,
  type ConnectMessage,
} from '../protocol/messages.js'

const RETRY_INTERVAL_MS = 100

export interface HandshakeOptions {
  frameWindow: Window
  /** Resolves when the iframe fired `load`. */
  frameLoaded: Promise<void>
  vaultOrigin: string
  timeoutMs: number
  /** Aborts the handshake (wallet destroyed). */
  signal: AbortSignal
}

export function connectToVault({ frameWindow, frameLoaded, vaultOrigin, timeoutMs, signal }: HandshakeOptions): Promise<MessagePort> {
  return new Promise((resolve, reject) => {
    const channelId = randomChannelId()
    const pending: MessagePort[] = []
    let settled = false

    const finish = (error: OtpWalletError | null, winner?: MessagePort) => {
      if (settled) return
      settled = true
      clearInterval(retryTimer)
      clearTimeout(deadline)
      signal.removeEventListener('abort', onAbort)
      for (const port of pending) {
        port.onmessage = null
        if (port !== winner) port.close()
      }
      if (error) reject(error)
      else resolve(winner!)
    }

    const attempt = () => {
      const channel = new MessageChannel()
      const port = channel.port1
      pending.push(port)
      port.onmessage = (event: MessageEvent) => {
        const message: unknown = event.data
        if (isConnectRefused(message)) {
          finish(OtpWalletError.fromSerialized(message.error))
        } else if (isVaultEvent(message) && message.event === 'connected') {
          const { v } = message.data as { v: unknown }
          if (v !== PROTOCOL_VERSION) {
            finish(
              new OtpWalletError(
                'PROTOCOL_VERSION_MISMATCH',
                `The vault speaks protocol v${String(v)}, this SDK v${PROTOCOL_VERSION}; deploy matching versions`,
              ),
            )
          } else {
            finish(null, port)
          }
        }
      }
      const connect: ConnectMessage = { ns: PROTOCOL_NAMESPACE, type: 'connect', v: PROTOCOL_VERSION, channelId }
      try {
        frameWindow.postMessage(connect, vaultOrigin, [channel.port2])
      } catch (cause) {
        finish(new OtpWalletError('VAULT_UNREACHABLE', 'Could not post to the vault iframe', { cause }))
      }
    }

    const onAbort = () => finish(new OtpWalletError('DESTROYED', 'The wallet was destroyed during the handshake'))
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort)

    let retryTimer: ReturnType<typeof setInterval> | undefined
    frameLoaded.then(() => {
      if (settled) return
      retryTimer = setInterval(attempt, RETRY_INTERVAL_MS)
      attempt()
    })
    const deadline = setTimeout(
      () =>
        finish(
          new OtpWalletError(
            'VAULT_UNREACHABLE',
            `The vault at ${vaultOrigin} did not answer within ${timeoutMs} ms; check vaultUrl and that the vault allows this page's origin`,
          ),
        ),
      timeoutMs,
    )
  })
}

function randomChannelId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
