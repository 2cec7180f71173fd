/**
 * What `signMessage` accepts, following ethers and viem: a string is signed as its UTF-8
 * text (even when it looks like hex), a Uint8Array or `{ raw }` as bytes.
 */
import { hexToBytes } from '../crypto/bytes.js'
import { OtpWalletError } from '../protocol/errors.js'
import type { SignableMessage } from '../protocol/messages.js'

export type MessageInput = string | Uint8Array | { raw: string | Uint8Array }

export function toSignableMessage(message: MessageInput): SignableMessage {
  if (typeof message === 'string') return { kind: 'text', text: message }
  if (message instanceof Uint8Array) return { kind: 'bytes', bytes: message }
  if (typeof message === 'object' && message !== null && 'raw' in message) {
    const raw = message.raw
    if (raw instanceof Uint8Array) return { kind: 'bytes', bytes: raw }
    if (typeof raw === 'string') return { kind: 'bytes', bytes: hexToBytes(raw, 'message.raw') }
  }
  throw new OtpWalletError('INVALID_REQUEST', 'message: expected a string, a Uint8Array or { raw: 0x-hex | Uint8Array }', {
    details: { field: 'message' },
  })
}
