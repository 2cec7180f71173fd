import { Transaction, Wallet, getBytes, hexlify } from 'ethers'
import { describe, expect, test } from 'vitest'
import { normalizeTransaction } from './normalize-transaction.js'
import { signTransactionWithKey } from './sign.js'
import { expectInvalid } from './test-utils.js'

// EIP-155 "Example" (https://eips.ethereum.org/EIPS/eip-155): its published signing data and signed tx.
const EIP155_KEY = getBytes('0x' + '46'.repeat(32))
const EIP155_TO = '0x3535353535353535353535353535353535353535'
const EIP155_SIGNING_DATA = '0xec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080'
const EIP155_SIGNING_HASH = '0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53'
const EIP155_SIGNED =
  '0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83'

const KEY = getBytes('0x' + '01'.repeat(32))
const wallet = new Wallet(hexlify(KEY))
const TO = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'

const eip1559 = { to: TO, value: '0x1', nonce: 3, gasLimit: 21000, maxFeePerGas: 30_000_000_000n, maxPriorityFeePerGas: '1000000000', chainId: 1 }

describe('normalizeTransaction: the EIP-155 example', () => {
  test.each([
    ['bigint', { nonce: 9n, gasPrice: 20_000_000_000n, gasLimit: 21000n, value: 10n ** 18n, chainId: 1n }],
    ['number', { nonce: 9, gasPrice: 20_000_000_000, gasLimit: 21000, value: '1000000000000000000', chainId: 1 }],
    ['decimal string', { nonce: '9', gasPrice: '20000000000', gasLimit: '21000', value: '1000000000000000000', chainId: '1' }],
    ['hex string', { nonce: '0x9', gasPrice: '0x4a817c800', gasLimit: '0x5208', value: '0xde0b6b3a7640000', chainId: '0x1' }],
    ['gas alias, explicit type 0', { type: 0, nonce: 9, gasPrice: 20e9, gas: 21000, value: 10n ** 18n, chainId: 1 }],
    ['chain id from the default', { nonce: 9, gasPrice: 20e9, gas: 21000, value: 10n ** 18n }],
  ])('fields as %s sign to the published serialization', (_, fields) => {
    const tx = normalizeTransaction({ to: EIP155_TO, data: '0x', ...fields }, 1)
    expect(tx.type).toBe(0)
    expect(tx.unsignedSerialized).toBe(EIP155_SIGNING_DATA)
    expect(tx.unsignedHash).toBe(EIP155_SIGNING_HASH)
    expect(signTransactionWithKey(EIP155_KEY, tx)).toBe(EIP155_SIGNED)
  })
})

describe('normalizeTransaction: types', () => {
  test.each([[2], ['2'], ['0x2'], [2n]])('type given as %o', (type) => {
    expect(normalizeTransaction({ ...eip1559, type }, null).type).toBe(2)
  })

  test('type inference: maxFeePerGas → 2, gasPrice + accessList → 1, gasPrice → 0', () => {
    expect(normalizeTransaction(eip1559, null).type).toBe(2)
    const legacy = { to: TO, nonce: 0, gas: 21000, gasPrice: 1, chainId: 1 }
    expect(normalizeTransaction(legacy, null).type).toBe(0)
    expect(normalizeTransaction({ ...legacy, accessList: [] }, null).type).toBe(1)
  })

  test('no fee field at all → type 2, and the missing maxFeePerGas is named', () => {
    expectInvalid(() => normalizeTransaction({ to: TO, nonce: 0, gas: 21000, chainId: 1 }, null), 'maxFeePerGas')
  })

  test.each([
    ['legacy', { type: 0, gasPrice: '0x3b9aca00' }],
    ['EIP-2930', { type: 1, gasPrice: '0x3b9aca00', accessList: [{ address: TO, storageKeys: ['0x' + '00'.repeat(31) + '01'] }] }],
    ['EIP-1559', { type: 2, maxFeePerGas: '0x6fc23ac00', maxPriorityFeePerGas: 1_000_000_000, accessList: [{ address: TO.toLowerCase(), storageKeys: [] }] }],
  ])('%s is signed like ethers Wallet and recovers to the signer', async (_, fields) => {
    const request = { to: TO, value: 10n ** 15n, data: '0xdeadbeef', nonce: 7, gasLimit: 50_000, chainId: 11155111, ...fields }
    const serialized = signTransactionWithKey(KEY, normalizeTransaction(request, null))
    const parsed = Transaction.from(serialized)
    expect(parsed.from).toBe(wallet.address)
    expect(parsed.type).toBe(request.type)
    expect(parsed.chainId).toBe(11155111n)
    expect(parsed.to).toBe(TO)
    expect(parsed.data).toBe('0xdeadbeef')
    // Independent oracle: ethers' own Wallet signing the same request (ethers normalizes the numbers).
    const { accessList, ...rest } = request as typeof request & { accessList?: unknown }
    const oracle = await wallet.signTransaction({ ...rest, ...(accessList === undefined ? {} : { accessList: accessList as never }) })
    expect(serialized).toBe(oracle)
  })

  test('a missing chainId takes the default; a given one wins over it', () => {
    expect(normalizeTransaction({ ...eip1559, chainId: undefined }, 10).chainId).toBe(10n)
    expect(normalizeTransaction({ ...eip1559, chainId: null }, 10).chainId).toBe(10n)
    expect(normalizeTransaction({ ...eip1559, chainId: 137 }, 10).chainId).toBe(137n)
  })

  test('defaults: value 0, data 0x, empty access list; the checksummed `to`', () => {
    const tx = normalizeTransaction({ ...eip1559, to: TO.toLowerCase(), value: null, data: null }, null)
    expect(tx.value).toBe(0n)
    expect(tx.data).toBe('0x')
    expect(tx.accessList).toEqual([])
    expect(tx.to).toBe(TO)
  })

  test('contract creation: no `to`, with data', () => {
    const tx = normalizeTransaction({ ...eip1559, to: null, data: '0x6000' }, null)
    expect(tx.to).toBe(null)
  })

  test('gas and gasLimit together are fine when equal', () => {
    expect(normalizeTransaction({ ...eip1559, gas: '0x5208' }, null).gasLimit).toBe(21000n)
  })
})

describe('normalizeTransaction: refusals name the field', () => {
  const refuse = (tx: unknown, field: string, defaultChainId: number | null = null) =>
    expectInvalid(() => normalizeTransaction(tx, defaultChainId), field)

  test('not an object', () => {
    for (const tx of [null, undefined, 'tx', 42, [eip1559], new Map()]) refuse(tx, 'transaction')
  })
  test('type-2 with gasPrice (explicit type or inferred from maxFeePerGas)', () => {
    refuse({ ...eip1559, type: 2, gasPrice: 1 }, 'gasPrice')
    refuse({ ...eip1559, gasPrice: 1 }, 'gasPrice')
  })
  test('type-0 and type-1 with EIP-1559 fee fields', () => {
    refuse({ ...eip1559, type: 0, gasPrice: 1 }, 'maxFeePerGas')
    refuse({ ...eip1559, type: '0x1', gasPrice: 1, maxFeePerGas: undefined }, 'maxPriorityFeePerGas')
  })
  test('chain id 0, in any spelling, and a default of 0', () => {
    refuse({ ...eip1559, chainId: 0 }, 'chainId')
    refuse({ ...eip1559, chainId: '0x0' }, 'chainId')
    refuse({ ...eip1559, chainId: 0n }, 'chainId', 1)
    refuse({ ...eip1559, chainId: undefined }, 'chainId', 0)
  })
  test('chain id missing with no default', () => {
    refuse({ ...eip1559, chainId: undefined }, 'chainId')
    refuse({ ...eip1559, chainId: null }, 'chainId')
  })
  test('chain id out of range', () => refuse({ ...eip1559, chainId: 2n ** 64n }, 'chainId'))
  test('unsupported types', () => {
    refuse({ ...eip1559, type: 3 }, 'type')
    refuse({ ...eip1559, type: 4 }, 'type')
    refuse({ ...eip1559, type: 'eip1559' }, 'type')
    refuse({ ...eip1559, type: -1 }, 'type')
  })
  test('unknown fields, by name', () => {
    refuse({ ...eip1559, from: wallet.address }, 'from')
    refuse({ ...eip1559, input: '0x' }, 'input')
    refuse({ ...eip1559, authorizationList: [] }, 'authorizationList')
  })
  test('missing nonce, gas limit and fees', () => {
    refuse({ ...eip1559, nonce: undefined }, 'nonce')
    refuse({ ...eip1559, gasLimit: undefined }, 'gasLimit')
    refuse({ ...eip1559, maxPriorityFeePerGas: undefined }, 'maxPriorityFeePerGas')
    refuse({ to: TO, nonce: 0, gas: 21000, type: 0, chainId: 1 }, 'gasPrice')
    refuse({ to: TO, nonce: 0, gas: 21000, type: 1, chainId: 1 }, 'gasPrice')
  })
  test('gas and gasLimit that differ', () => refuse({ ...eip1559, gas: 21001 }, 'gas'))
  test('priority fee above the fee cap', () => refuse({ ...eip1559, maxPriorityFeePerGas: 30_000_000_001n }, 'maxPriorityFeePerGas'))
  test('bad numbers are named', () => {
    refuse({ ...eip1559, value: '42abc' }, 'value')
    refuse({ ...eip1559, value: -1 }, 'value')
    refuse({ ...eip1559, nonce: 2 ** 53 }, 'nonce')
    refuse({ ...eip1559, nonce: '1e3' }, 'nonce')
    refuse({ ...eip1559, gasLimit: 2n ** 64n }, 'gasLimit')
    refuse({ ...eip1559, maxFeePerGas: 1.5 }, 'maxFeePerGas')
  })
  test('bad `to`', () => {
    refuse({ ...eip1559, to: '0x1234' }, 'to')
    refuse({ ...eip1559, to: TO.slice(2) }, 'to')
    refuse({ ...eip1559, to: TO + '00' }, 'to')
    refuse({ ...eip1559, to: '' }, 'to')
    refuse({ ...eip1559, to: 'vitalik.eth' }, 'to')
    refuse({ ...eip1559, to: getBytes(TO) }, 'to')
    // EIP-55: one letter's case flipped in a mixed-case address is a checksum mismatch.
    refuse({ ...eip1559, to: TO.replace('C51812dc', 'c51812dc') }, 'to')
  })
  test('all-uppercase hex carries no checksum and is accepted', () => {
    expect(normalizeTransaction({ ...eip1559, to: '0x' + TO.slice(2).toUpperCase() }, null).to).toBe(TO)
  })
  test('contract creation without data', () => {
    refuse({ ...eip1559, to: undefined }, 'to')
    refuse({ ...eip1559, to: null, data: '0x' }, 'to')
  })
  test('data not hex', () => {
    refuse({ ...eip1559, data: '0xabc' }, 'data')
    refuse({ ...eip1559, data: 'deadbeef' }, 'data')
    refuse({ ...eip1559, data: '0xzz' }, 'data')
    refuse({ ...eip1559, data: new Uint8Array([1]) }, 'data')
  })
  test('access list shape', () => {
    refuse({ ...eip1559, accessList: {} }, 'accessList')
    refuse({ ...eip1559, accessList: [[TO, []]] }, 'accessList[0]')
    refuse({ ...eip1559, accessList: [{ address: TO }] }, 'accessList[0].storageKeys')
    refuse({ ...eip1559, accessList: [{ address: '0x12', storageKeys: [] }] }, 'accessList[0].address')
    refuse({ ...eip1559, accessList: [{ address: TO, storageKeys: [], extra: 1 }] }, 'accessList[0].extra')
    refuse({ ...eip1559, accessList: [{ address: TO, storageKeys: ['0x' + '00'.repeat(32)] }, { address: TO, storageKeys: ['0x01'] }] }, 'accessList[1].storageKeys[0]')
    refuse({ to: TO, nonce: 0, gas: 21000, gasPrice: 1, type: 0, accessList: [], chainId: 1 }, 'accessList')
  })
})
