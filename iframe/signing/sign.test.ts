import { Transaction, Wallet, getBytes, hexlify } from 'ethers'
import { describe, expect, test } from 'vitest'
import { normalizeTransaction } from './normalize-transaction.js'
import { normalizeTypedData } from './normalize-typed-data.js'
import { signMessageWithKey, signTransactionWithKey, signTypedDataWithKey } from './sign.js'
import { expectCode } from './test-utils.js'

const KEY = getBytes('0x' + '01'.repeat(32))
const TX = { to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', nonce: 0, gas: 21000, maxFeePerGas: 2, maxPriorityFeePerGas: 1, chainId: 1 }
const TEXT = { kind: 'text', text: 'x' } as const

describe('sign: key handling', () => {
  test.each([
    ['31 bytes', new Uint8Array(31)],
    ['33 bytes', new Uint8Array(33)],
    ['a hex string', '0x' + '01'.repeat(32)],
    ['an array', Array(32).fill(1)],
  ])('a key of %s is an INTERNAL error', (_, key) => {
    expectCode(() => signMessageWithKey(key as Uint8Array, TEXT), 'INTERNAL')
  })

  test.each([
    ['zero', new Uint8Array(32)],
    ['the curve order n', getBytes('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141')],
  ])('an out-of-range key (%s) is an INTERNAL error that carries no cause', (_, key) => {
    let caught: unknown
    try {
      signMessageWithKey(key, TEXT)
    } catch (error) {
      caught = error
    }
    expectCode(() => signMessageWithKey(key, TEXT), 'INTERNAL')
    expect((caught as Error).cause).toBeUndefined()
    expect(String((caught as Error).message)).not.toContain('0000000000000000')
  })

  test('the caller\'s key bytes are not modified', () => {
    const key = Uint8Array.from(KEY)
    signMessageWithKey(key, TEXT)
    expect(key).toEqual(KEY)
  })
})

describe('signTransactionWithKey', () => {
  test('does not modify the transaction it is given', () => {
    const tx = normalizeTransaction(TX, null)
    const before = tx.unsignedSerialized
    const serialized = signTransactionWithKey(KEY, tx)
    expect(tx.signature).toBe(null)
    expect(tx.unsignedSerialized).toBe(before)
    expect(Transaction.from(serialized).from).toBe(new Wallet(hexlify(KEY)).address)
  })

  test('deterministic: the same request signs to the same bytes', () => {
    expect(signTransactionWithKey(KEY, normalizeTransaction(TX, null))).toBe(signTransactionWithKey(KEY, normalizeTransaction(TX, null)))
  })

  test('re-checks invariants on transactions that did not come from normalizeTransaction', () => {
    const noChain = Transaction.from({ type: 2, to: TX.to, nonce: 0, gasLimit: 21000, maxFeePerGas: 2, maxPriorityFeePerGas: 1 })
    expectCode(() => signTransactionWithKey(KEY, noChain), 'INTERNAL')
    const preEip155 = Transaction.from({ type: 0, to: TX.to, nonce: 0, gasLimit: 21000, gasPrice: 1 })
    expectCode(() => signTransactionWithKey(KEY, preEip155), 'INTERNAL')
    const untyped = Transaction.from({ to: TX.to, nonce: 0, gasLimit: 21000, gasPrice: 1, chainId: 1 })
    expectCode(() => signTransactionWithKey(KEY, untyped), 'INTERNAL')
    const mixedFees = Transaction.from({ type: 0, to: TX.to, nonce: 0, gasLimit: 21000, gasPrice: 1, chainId: 1 })
    mixedFees.type = 2
    expectCode(() => signTransactionWithKey(KEY, mixedFees), 'INTERNAL')
    const legacyWith1559Fee = Transaction.from({ type: 0, to: TX.to, nonce: 0, gasLimit: 21000, gasPrice: 1, chainId: 1 })
    legacyWith1559Fee.maxPriorityFeePerGas = 1
    expectCode(() => signTransactionWithKey(KEY, legacyWith1559Fee), 'INTERNAL')
    const blob = Transaction.from({ type: 3, to: TX.to, nonce: 0, gasLimit: 21000, chainId: 1 })
    expectCode(() => signTransactionWithKey(KEY, blob), 'INTERNAL')
  })
})

describe('signTypedDataWithKey', () => {
  test('refuses a payload that did not come from normalizeTypedData', () => {
    const typed = normalizeTypedData({ types: { A: [{ name: 'x', type: 'uint8' }] }, domain: { name: 'T' }, message: { x: 1 } })
    expectCode(() => signTypedDataWithKey(KEY, { ...typed }), 'INTERNAL')
    expect(signTypedDataWithKey(KEY, typed)).toMatch(/^0x[0-9a-f]{130}$/)
  })
})
