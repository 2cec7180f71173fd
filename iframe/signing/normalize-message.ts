/**
 * The bytes of an EIP-191 personal message (`signMessage`).
 *
 * A `SignableMessage` says explicitly whether it is text or bytes, so nothing is guessed: the
 * string `"0x1234"` sent as `{ kind: 'text' }` is signed as its six UTF-8 characters, exactly as
 * ethers' `signMessage("0x1234")` and viem's `signMessage({ message: "0x1234" })` do. To sign raw
 * bytes, send `{ kind: 'bytes', bytes: Uint8Array }` (viem's `{ raw }`).
 */
import { utf8 } from '../../src/crypto/bytes.js'
import { invalid, isBytes, isPlainObject, ownValue, parseText } from './validate.js'

/**
 * Validates a `SignableMessage` (src/protocol/messages.ts) and returns a fresh copy of the bytes to sign.
 * Every refusal is `INVALID_REQUEST` with `details.field === 'message'`.
 *
 * @example
 * messageBytes({ kind: 'text', text: 'hi' })                        // Uint8Array [0x68, 0x69]
 * messageBytes({ kind: 'bytes', bytes: new Uint8Array([0x12, 0x34]) }) // Uint8Array [0x12, 0x34]
 * messageBytes('hi')                                                // throws INVALID_REQUEST
 */
export function messageBytes(message: unknown): Uint8Array {
  if (!isPlainObject(message)) {
    throw invalid('message', "expected { kind: 'text', text } or { kind: 'bytes', bytes }")
  }
  const kind = ownValue(message, 'kind')
  if (kind === 'text') {
    assertOnlyKeys(message, 'text')
    // parseText refuses lone surrogates, which TextEncoder would silently turn into U+FFFD.
    return utf8(parseText(ownValue(message, 'text'), 'message'))
  }
  if (kind === 'bytes') {
    assertOnlyKeys(message, 'bytes')
    const bytes = ownValue(message, 'bytes')
    if (!isBytes(bytes)) throw invalid('message', 'bytes: expected a Uint8Array')
    // A copy: the caller may keep (and change) its array while the signature is made.
    return Uint8Array.from(bytes)
  }
  throw invalid('message', "kind: expected 'text' or 'bytes'")
}

/** `{ kind, <payload> }` and nothing else: an extra key means the sender meant something else. */
function assertOnlyKeys(message: Record<string, unknown>, payloadKey: string): void {
  const extra = Object.keys(message).filter((key) => key !== 'kind' && key !== payloadKey)
  if (extra.length > 0) throw invalid('message', `unknown field ${JSON.stringify(extra[0])}`)
}
