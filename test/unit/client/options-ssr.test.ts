// No DOM here: what a server-side render that calls createWallet gets.
import { expect, test } from 'vitest'
import { createWallet } from '../../../src/index.js'

test('createWallet outside a browser is INVALID_CONFIG, not a ReferenceError', () => {
  expect(() => createWallet({ vaultUrl: 'https://vault.example/', getAuthToken: () => 't' })).toThrowError(
    expect.objectContaining({ name: 'OtpWalletError', code: 'INVALID_CONFIG', details: { field: 'options' } }),
  )
})
