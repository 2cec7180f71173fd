/**
 * Signing with a raw secp256k1 private key, for the vault's three signing methods.
 *
 * Uses ethers' `SigningKey` (RFC 6979 deterministic, low-s signatures) and not `Wallet`, which
 * would pull keystore and mnemonic code (~60 KB gzip) into the vault. The key is used for one call
 * and never stored; the caller owns the bytes and zeroes them afterwards. Caveat: `SigningKey`
 * keeps a hex-string copy of the key for its own (short) lifetime, and JS strings cannot be zeroed;
 * no reference to it outlives the call.
 *
 * Errors from the signing library are replaced by `INTERNAL` with no `cause`, so nothing derived
 * from the key can reach a log or the other side of the postMessage boundary.
 */
import { SigningKey } from 'ethers/crypto'
import { hashMessage } from 'ethers/hash'
import type { Transaction } from 'ethers/transaction'
import { OtpWalletError } from '../../src/protocol/errors.js'
import { messageBytes } from './normalize-message.js'
import { hashTypedData, type NormalizedTypedData } from './normalize-typed-data.js'

/**
 * EIP-191 `personal_sign` of a `SignableMessage`; returns the 65-byte r‖s‖v signature (v 27/28).
 *
 * @example
 * signMessageWithKey(key, { kind: 'text', text: 'hello' }) // '0x…' (132 hex digits)
 */
export function signMessageWithKey(privateKey: Uint8Array, message: unknown): string {
  const digest = hashMessage(messageBytes(message))
  return withKey(privateKey, (key) => key.sign(digest).serialized)
}

/**
 * EIP-712 signature of a payload returned by `normalizeTypedData`; returns r‖s‖v (v 27/28).
 *
 * @example
 * signTypedDataWithKey(key, normalizeTypedData(params.payload))
 */
export function signTypedDataWithKey(privateKey: Uint8Array, typedData: NormalizedTypedData): string {
  const digest = hashTypedData(typedData)
  return withKey(privateKey, (key) => key.sign(digest).serialized)
}

/**
 * Signs a transaction returned by `normalizeTransaction`; returns the serialized signed
 * transaction (0x-hex, ready for `eth_sendRawTransaction`). The input is not modified.
 *
 * @example
 * signTransactionWithKey(key, normalizeTransaction(params.transaction, chainId))
 */
export function signTransactionWithKey(privateKey: Uint8Array, transaction: Transaction): string {
  const tx = transaction.clone()
  // Re-check the invariants normalizeTransaction guarantees: never sign a replayable transaction.
  const type = tx.type
  if (type !== 0 && type !== 1 && type !== 2) throw internal(`unsupported transaction type ${String(type)}`)
  if (tx.chainId < 1n) throw internal('transaction has no chain id')
  // (ethers' fee getters default to 0 for the fields of a transaction's own type, so only the
  // other family's fields are observable: they must be absent.)
  const mixed = type === 2 ? tx.gasPrice !== null : tx.maxFeePerGas !== null || tx.maxPriorityFeePerGas !== null
  if (mixed) throw internal('transaction fee fields do not match its type')
  tx.signature = null
  const digest = tx.unsignedHash
  tx.signature = withKey(privateKey, (key) => key.sign(digest))
  return tx.serialized
}

function withKey<T>(privateKey: Uint8Array, use: (key: SigningKey) => T): T {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32) throw internal('signing key must be 32 bytes')
  try {
    return use(new SigningKey(privateKey))
  } catch {
    throw internal('signing failed')
  }
}

function internal(message: string): OtpWalletError {
  return new OtpWalletError('INTERNAL', message)
}
