import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { computeAddress, getAddress } from 'ethers'
import { describe, expect, it } from 'vitest'
import { bytesToHex, hexToBytes } from '../../../src/crypto/bytes.js'
import { deriveServerKeys, parseMasterKey } from '../../../src/server/server-keys.js'
import {
  addressFromPrivateKey,
  generateWalletPrivateKey,
  toChecksumAddress,
  unwrapWalletKey,
  WRAPPED_KEY_LENGTH,
  wrapWalletKey,
} from '../../../src/server/wallet-keys.js'
import { MASTER_KEY } from './helpers.js'

describe('wallet keys', () => {
  it('EIP-55 checksums match the EIP-55 specification examples', () => {
    // From EIP-55 itself.
    for (const address of [
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
      '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
      '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
      '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
    ]) {
      expect(toChecksumAddress(address.toLowerCase())).toBe(address)
      expect(toChecksumAddress(address.toUpperCase().replace('0X', '0x'))).toBe(address)
    }
  })

  it('derives the address of a known key (web3.js docs key) and agrees with ethers', () => {
    const key = '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318'
    expect(addressFromPrivateKey(hexToBytes(key, 'key'))).toBe('0x2c7536E3605D9C16a7a3D7b1898e529396a65c23')
    expect(computeAddress(key)).toBe('0x2c7536E3605D9C16a7a3D7b1898e529396a65c23')
  })

  it('random keys: address = keccak256(pubkey)[12:], EIP-55, equal to ethers', () => {
    for (let i = 0; i < 20; i++) {
      const sk = generateWalletPrivateKey()
      expect(sk).toHaveLength(32)
      expect(secp256k1.utils.isValidSecretKey(sk)).toBe(true)
      const address = addressFromPrivateKey(sk)
      const manual = bytesToHex(keccak_256(secp256k1.getPublicKey(sk, false).subarray(1)).subarray(12))
      expect(address.toLowerCase()).toBe(manual)
      expect(address).toBe(getAddress(manual))
      expect(address).toBe(computeAddress(bytesToHex(sk)))
    }
  })

  it('wraps with AES-256-GCM bound to the wallet id', async () => {
    const { wrapKey } = await deriveServerKeys(parseMasterKey(MASTER_KEY))
    const sk = generateWalletPrivateKey()
    const copy = sk.slice()
    const wrapped = await wrapWalletKey(wrapKey, 'wallet-a', sk)
    expect(wrapped).toHaveLength(WRAPPED_KEY_LENGTH)
    expect(wrapped[0]).toBe(1)
    expect(Buffer.from(wrapped).includes(Buffer.from(copy))).toBe(false)
    expect(sk).toEqual(copy) // the caller's buffer is not consumed
    expect(await unwrapWalletKey(wrapKey, 'wallet-a', wrapped)).toEqual(copy)
    // a fresh IV each time
    expect(bytesToHex(await wrapWalletKey(wrapKey, 'wallet-a', sk))).not.toBe(bytesToHex(wrapped))
  })

  it('refuses to unwrap under another wallet id, another master key, or tampered bytes', async () => {
    const { wrapKey } = await deriveServerKeys(parseMasterKey(MASTER_KEY))
    const wrapped = await wrapWalletKey(wrapKey, 'wallet-a', generateWalletPrivateKey())
    await expect(unwrapWalletKey(wrapKey, 'wallet-b', wrapped)).rejects.toMatchObject({ code: 'INTERNAL' })
    const other = await deriveServerKeys(parseMasterKey(`0x${'42'.repeat(32)}`))
    await expect(unwrapWalletKey(other.wrapKey, 'wallet-a', wrapped)).rejects.toMatchObject({ code: 'INTERNAL' })
    const tampered = wrapped.slice()
    tampered[20]! ^= 1
    await expect(unwrapWalletKey(wrapKey, 'wallet-a', tampered)).rejects.toMatchObject({ code: 'INTERNAL' })
    await expect(unwrapWalletKey(wrapKey, 'wallet-a', wrapped.subarray(1))).rejects.toMatchObject({ code: 'INTERNAL' })
  })
})
