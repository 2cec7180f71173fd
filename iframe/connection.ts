/**
 * The vault side of the handshake (the host side is src/client/handshake.ts).
 *
 *  1. The vault loads its own config.json, then listens to `message` on its window.
 *     (The host retries `connect` until acknowledged, so messages sent before this are not lost.)
 *  2. A message counts only if it is a ConnectMessage (`isConnectMessage`), comes from
 *     `window.parent` (`event.source`), and carries a MessagePort in `event.ports[0]`.
 *     Anything else is ignored: there is no private channel to answer on, and answering on
 *     `window` would talk to whoever is listening.
 *  3. Bad config → ConnectRefused INVALID_CONFIG on that port, port closed.
 *  4. `event.origin` not in config.allowedOrigins (exact string match) → ConnectRefused
 *     ORIGIN_NOT_ALLOWED, port closed. Checked before anything else is revealed.
 *  5. `v` ≠ PROTOCOL_VERSION → ConnectRefused PROTOCOL_VERSION_MISMATCH, port closed.
 *  6. Not yet bound → BIND to this port: answer `{ event: 'connected', data: { v } }` on it and
 *     hand it to the RPC server. The host origin is pinned for the vault's life.
 *  7. Already bound: a retry of the same handshake (same channelId) → its port is closed
 *     without an answer (the first port already got `connected`); another channelId →
 *     ConnectRefused INVALID_REQUEST ('already connected'), port closed.
 *  After binding the vault never posts on `window`; everything goes over the bound port.
 */
import { OtpWalletError, serializeError, type ErrorCode } from '../src/protocol/errors.js'
import {
  isConnectMessage,
  PROTOCOL_VERSION,
  type ConnectRefused,
  type VaultEvent,
} from '../src/protocol/messages.js'
import type { VaultConfig } from './config.js'
import type { Log } from './log.js'

/** The parts of a MessageEvent the handshake reads. */
export interface HandshakeEvent {
  data: unknown
  origin: string
  source: unknown
  ports: ReadonlyArray<MessagePort>
}

export interface HostWindow {
  readonly parent: unknown
  addEventListener(type: 'message', listener: (event: HandshakeEvent) => void): void
  removeEventListener(type: 'message', listener: (event: HandshakeEvent) => void): void
}

export interface ListenOptions {
  win: HostWindow
  /** The validated config, or the error that made it unusable (every connect is refused). */
  config: VaultConfig | OtpWalletError
  onBind: (port: MessagePort, origin: string) => void
  log: Log
}

/**
 * Starts listening for the host's `connect`; returns a function that stops listening.
 *
 * @example
 * listenForHost({ win: window, config, log, onBind: (port, origin) => serve(port) })
 */
export function listenForHost({ win, config, onBind, log }: ListenOptions): () => void {
  let bound: { channelId: string; origin: string } | null = null

  const onMessage = (event: HandshakeEvent): void => {
    const message = event.data
    if (!isConnectMessage(message) || event.source !== win.parent) return
    const port = event.ports[0]
    if (port === undefined) {
      log('connect without a port ignored')
      return
    }
    if (config instanceof OtpWalletError) return refuse(port, config)
    if (!config.allowedOrigins.includes(event.origin)) {
      log('connect from a disallowed origin refused', event.origin)
      return refuse(port, error('ORIGIN_NOT_ALLOWED', `The vault does not allow ${event.origin}; add it to allowedOrigins in config.json`))
    }
    if (message.v !== PROTOCOL_VERSION) {
      return refuse(
        port,
        new OtpWalletError('PROTOCOL_VERSION_MISMATCH', `The vault speaks protocol v${PROTOCOL_VERSION}, the host v${message.v}`, {
          details: { vaultVersion: PROTOCOL_VERSION, hostVersion: message.v },
        }),
      )
    }
    if (bound !== null) {
      if (bound.channelId === message.channelId && bound.origin === event.origin) return port.close()
      return refuse(port, error('INVALID_REQUEST', 'The vault is already connected to a host'))
    }
    bound = { channelId: message.channelId, origin: event.origin }
    const connected: VaultEvent<'connected'> = { event: 'connected', data: { v: PROTOCOL_VERSION } }
    port.postMessage(connected)
    onBind(port, event.origin)
  }

  win.addEventListener('message', onMessage)
  return () => win.removeEventListener('message', onMessage)
}

function refuse(port: MessagePort, err: OtpWalletError): void {
  const message: ConnectRefused = { event: 'connect_refused', error: serializeError(err) }
  port.postMessage(message)
  port.close()
}

function error(code: ErrorCode, message: string): OtpWalletError {
  return new OtpWalletError(code, message)
}
