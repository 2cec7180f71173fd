import { describe, expect, it } from 'vitest'
import { normalizeTransaction } from './signing/normalize-transaction.js'
import { withoutFrom } from './params.js'
import { TEST_ADDRESS } from './testing/fakes.js'

const TX = { to: '0x' + '11'.repeat(20), nonce: 0, gasLimit: 21000, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n, chainId: 1 }

describe('withoutFrom', () => {
  it("accepts the wallet's own address in any letter case and removes it", () => {
    for (const from of [TEST_ADDRESS, TEST_ADDRESS.toLowerCase(), '0x' + TEST_ADDRESS.slice(2).toUpperCase()]) {
      const tx = withoutFrom({ ...TX, from }, TEST_ADDRESS)
      expect(tx).toEqual(TX)
      expect(normalizeTransaction(tx, null).to).toBe('0x' + '11'.repeat(20))
    }
  })

  it('treats a null `from` as absent and leaves other transactions untouched', () => {
    expect(withoutFrom({ ...TX, from: null }, TEST_ADDRESS)).toEqual(TX)
    const plain = { ...TX }
    expect(withoutFrom(plain, TEST_ADDRESS)).toBe(plain)
    expect(withoutFrom('not an object', TEST_ADDRESS)).toBe('not an object') // normalizeTransaction reports it
  })

  it('refuses another or a malformed `from` as INVALID_REQUEST naming the field', () => {
    for (const from of ['0x' + '22'.repeat(20), '0x1234', 42, TEST_ADDRESS + '00', 'vitalik.eth']) {
      expect(() => withoutFrom({ ...TX, from }, TEST_ADDRESS)).toThrow(
        expect.objectContaining({ code: 'INVALID_REQUEST', details: { field: 'from' } }),
      )
    }
  })
})
