import { Wallet, getBytes, hashMessage, hexlify, verifyMessage } from 'ethers'
import { describe, expect, test } from 'vitest'
import { messageBytes } from './normalize-message.js'
import { signMessageWithKey } from './sign.js'
import { expectInvalid } from './test-utils.js'

const KEY = getBytes('0x' + '01'.repeat(32))
const wallet = new Wallet(hexlify(KEY))

describe('messageBytes', () => {
  test('text is UTF-8', () => {
    expect(hexlify(messageBytes({ kind: 'text', text: 'hé 🐄' }))).toBe('0x68c3a920f09f9084')
    expect(messageBytes({ kind: 'text', text: '' })).toEqual(new Uint8Array())
  })

  test('bytes are returned as a copy', () => {
    const bytes = new Uint8Array([0x12, 0x34])
    const out = messageBytes({ kind: 'bytes', bytes })
    bytes[0] = 0
    expect(hexlify(out)).toBe('0x1234')
  })

  test.each([
    [null], [undefined], ['hello'], [42], [[]], [new Uint8Array([1])],
    [{}], [{ kind: 'hex', text: '0x12' }], [{ text: 'no kind' }],
    [{ kind: 'text' }], [{ kind: 'text', text: 42 }], [{ kind: 'text', text: new Uint8Array([1]) }],
    [{ kind: 'text', text: 'a\uD800' }], [{ kind: 'text', text: '\uDC00b' }],
    [{ kind: 'text', text: 'hi', bytes: new Uint8Array([1]) }],
    [{ kind: 'bytes' }], [{ kind: 'bytes', bytes: '0x1234' }], [{ kind: 'bytes', bytes: [0x12, 0x34] }],
    [{ kind: 'bytes', bytes: new Uint16Array([1]) }], [{ kind: 'bytes', bytes: new Uint8Array([1]).buffer }],
    [{ kind: 'bytes', bytes: new Uint8Array([1]), text: 'x' }],
  ])('refuses %o naming message', (message) => {
    expectInvalid(() => messageBytes(message), 'message')
  })
})

describe('signMessageWithKey (EIP-191 personal_sign)', () => {
  test('text: same signature as ethers Wallet.signMessage, recovers to the signer', async () => {
    const signature = signMessageWithKey(KEY, { kind: 'text', text: 'Hello, otp-wallet!' })
    expect(signature).toBe(await wallet.signMessage('Hello, otp-wallet!'))
    expect(verifyMessage('Hello, otp-wallet!', signature)).toBe(wallet.address)
  })

  test('a hex-looking string is signed as text, as ethers and viem do; bytes are signed as bytes', async () => {
    const asText = signMessageWithKey(KEY, { kind: 'text', text: '0x1234' })
    const asBytes = signMessageWithKey(KEY, { kind: 'bytes', bytes: new Uint8Array([0x12, 0x34]) })
    expect(asText).toBe(await wallet.signMessage('0x1234'))
    expect(asBytes).toBe(await wallet.signMessage(new Uint8Array([0x12, 0x34])))
    expect(asText).not.toBe(asBytes)
    expect(verifyMessage('0x1234', asText)).toBe(wallet.address)
    expect(verifyMessage(getBytes('0x1234'), asBytes)).toBe(wallet.address)
    // Independent of ethers' hashMessage: the EIP-191 prefix over 6 bytes vs 2 bytes.
    expect(hashMessage('0x1234')).toBe(hashMessage(new TextEncoder().encode('0x1234')))
  })

  test('a 32-byte message of bytes is not mistaken for a digest', async () => {
    const bytes = getBytes('0x' + 'ab'.repeat(32))
    expect(signMessageWithKey(KEY, { kind: 'bytes', bytes })).toBe(await wallet.signMessage(bytes))
  })

  test('signatures are 65 bytes with v 27 or 28', () => {
    const signature = signMessageWithKey(KEY, { kind: 'text', text: 'x' })
    expect(signature).toMatch(/^0x[0-9a-f]{128}(1b|1c)$/)
  })

  test('a malformed message is refused before any signing', () => {
    expectInvalid(() => signMessageWithKey(KEY, 'hello'), 'message')
  })
})
