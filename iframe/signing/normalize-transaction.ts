/**
 * Validation of a host's `TransactionRequest` into an unsigned ethers `Transaction`.
 *
 * The vault has no RPC provider, so nothing is filled in from the network: nonce, gas limit and
 * fees must all be given. Only what can be signed safely is accepted:
 *  - types 0 (legacy, always EIP-155: chain id ≥ 1 is in the signature), 1 (EIP-2930), 2 (EIP-1559);
 *    blob (3) and set-code (4) transactions are refused;
 *  - `type` absent → inferred as ethers and viem do: `maxFeePerGas`/`maxPriorityFeePerGas` → 2,
 *    `gasPrice` + `accessList` → 1, `gasPrice` → 0, no fee field at all → 2 (then the missing
 *    `maxFeePerGas` is reported);
 *  - fee fields of the other family are refused rather than ignored (a type-2 request with a
 *    `gasPrice` means the dApp and the vault disagree about what is being paid);
 *  - `gas` is viem's name for `gasLimit`; both given and different is refused;
 *  - no `to` is a contract creation and needs non-empty `data` (a value sent to nowhere is lost);
 *  - `null` is treated as absent, as in ethers and JSON-RPC; unknown fields are refused by name.
 * Limits: nonce ≤ 2^53 - 1 (ethers keeps it as a JS number; EIP-2681 caps it at 2^64 - 1 anyway),
 * gas limit and chain id ≤ 2^64 - 1, amounts ≤ 2^256 - 1.
 */
import { Transaction } from 'ethers/transaction'
import { parseQuantity } from './numberish.js'
import { assertKnownKeys, invalid, isPlainObject, ownValue, parseAddress, parseHexData } from './validate.js'

const FIELDS: ReadonlySet<string> = new Set([
  'type', 'chainId', 'nonce', 'to', 'value', 'data', 'gasLimit', 'gas',
  'gasPrice', 'maxFeePerGas', 'maxPriorityFeePerGas', 'accessList',
])
const ACCESS_LIST_ENTRY_KEYS: ReadonlySet<string> = new Set(['address', 'storageKeys'])

/**
 * Validates an untrusted transaction request and returns the unsigned `Transaction` to sign.
 * `defaultChainId` fills a missing `chainId`; when it is null, a missing `chainId` is refused
 * (the vault never signs a transaction that is valid on every chain).
 *
 * @example
 * const tx = normalizeTransaction({ to: '0x…', value: '0xde0b6b3a7640000', nonce: 0, gas: 21000,
 *   maxFeePerGas: 30n * 10n ** 9n, maxPriorityFeePerGas: '1000000000' }, 1)
 * tx.type // 2
 */
export function normalizeTransaction(tx: unknown, defaultChainId: number | null): Transaction {
  if (!isPlainObject(tx)) throw invalid('transaction', 'expected a transaction object')
  assertKnownKeys(tx, FIELDS, '')
  const get = (key: string): unknown => {
    const value = ownValue(tx, key)
    return value === null ? undefined : value
  }
  const has = (key: string): boolean => get(key) !== undefined
  const quantity = (key: string, bits = 256): bigint => {
    if (!has(key)) throw invalid(key, 'missing (the vault has no provider to fill it in)')
    return parseQuantity(get(key), key, { bits })
  }

  const type = has('type') ? parseType(get('type')) : inferType(has)
  const out = new Transaction()
  out.type = type
  out.chainId = has('chainId') ? parseChainId(get('chainId'), 'chainId') : defaultChain(defaultChainId)
  out.nonce = Number(quantity('nonce', 53))
  out.gasLimit = gasLimit(get('gasLimit'), get('gas'))

  if (type === 2) {
    if (has('gasPrice')) throw invalid('gasPrice', 'not allowed in a type-2 (EIP-1559) transaction; use maxFeePerGas')
    const maxFee = quantity('maxFeePerGas')
    const priorityFee = quantity('maxPriorityFeePerGas')
    if (priorityFee > maxFee) throw invalid('maxPriorityFeePerGas', 'greater than maxFeePerGas')
    out.maxFeePerGas = maxFee
    out.maxPriorityFeePerGas = priorityFee
  } else {
    for (const key of ['maxFeePerGas', 'maxPriorityFeePerGas']) {
      if (has(key)) throw invalid(key, `not allowed in a type-${type} transaction; use gasPrice`)
    }
    out.gasPrice = quantity('gasPrice')
  }
  if (type === 0 && has('accessList')) throw invalid('accessList', 'not allowed in a legacy (type-0) transaction')
  if (type !== 0) out.accessList = has('accessList') ? parseAccessList(get('accessList')) : []

  out.data = has('data') ? parseHexData(get('data'), 'data') : '0x'
  out.value = has('value') ? parseQuantity(get('value'), 'value') : 0n
  if (has('to')) out.to = parseAddress(get('to'), 'to')
  else if (out.data === '0x') throw invalid('to', 'missing: a contract creation (no `to`) needs `data`')
  return out
}

function parseType(value: unknown): 0 | 1 | 2 {
  const type = parseQuantity(value, 'type', { bits: 8 })
  if (type === 0n || type === 1n || type === 2n) return Number(type) as 0 | 1 | 2
  throw invalid('type', `unsupported transaction type ${type}; expected 0, 1 or 2`)
}

function inferType(has: (key: string) => boolean): 0 | 1 | 2 {
  if (has('maxFeePerGas') || has('maxPriorityFeePerGas')) return 2
  if (has('gasPrice')) return has('accessList') ? 1 : 0
  return 2
}

function parseChainId(value: unknown, field: string): bigint {
  const chainId = parseQuantity(value, field, { bits: 64 })
  if (chainId === 0n) throw invalid(field, 'chain id 0 is refused: the signature would be valid on every chain')
  return chainId
}

function defaultChain(defaultChainId: number | null): bigint {
  if (defaultChainId === null) throw invalid('chainId', 'missing, and the wallet has no default chain id')
  return parseChainId(defaultChainId, 'chainId')
}

function gasLimit(gasLimit: unknown, gas: unknown): bigint {
  const a = gasLimit === undefined ? undefined : parseQuantity(gasLimit, 'gasLimit', { bits: 64 })
  const b = gas === undefined ? undefined : parseQuantity(gas, 'gas', { bits: 64 })
  if (a !== undefined && b !== undefined && a !== b) throw invalid('gas', 'differs from gasLimit (gas is an alias of gasLimit)')
  const limit = a ?? b
  if (limit === undefined) throw invalid('gasLimit', 'missing (the vault has no provider to estimate it)')
  return limit
}

function parseAccessList(value: unknown): Array<{ address: string; storageKeys: string[] }> {
  if (!Array.isArray(value)) throw invalid('accessList', 'expected an array of { address, storageKeys }')
  return value.map((entry: unknown, i) => {
    const field = `accessList[${i}]`
    if (!isPlainObject(entry)) throw invalid(field, 'expected { address, storageKeys }')
    assertKnownKeys(entry, ACCESS_LIST_ENTRY_KEYS, field)
    const address = parseAddress(ownValue(entry, 'address'), `${field}.address`)
    const keys = ownValue(entry, 'storageKeys')
    if (!Array.isArray(keys)) throw invalid(`${field}.storageKeys`, 'expected an array of 32-byte hex strings')
    const storageKeys = keys.map((key: unknown, j) => parseHexData(key, `${field}.storageKeys[${j}]`, { length: 32 }))
    return { address, storageKeys }
  })
}
